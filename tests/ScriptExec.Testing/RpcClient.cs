using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace ScriptExec.Testing;

/// <summary>
/// A plain JSON-RPC client over either transport, the way a user's tool talks to the daemon: raw text out,
/// whole messages in. Notifications from the server are kept apart from replies.
/// </summary>
public sealed class RpcClient : IAsyncDisposable
{
    public static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(30);

    private readonly Func<string, Task> _send;
    private readonly Func<Task> _close;
    private readonly Channel<JsonNode?> _replies = Channel.CreateUnbounded<JsonNode?>();
    private readonly Channel<JsonObject> _notifications = Channel.CreateUnbounded<JsonObject>();
    private readonly SemaphoreSlim _callLock = new(1, 1);
    private long _nextId;

    private RpcClient(Func<string, Task> send, Func<Task> close)
    {
        _send = send;
        _close = close;
    }

    /// <summary>Completes when the server closed the connection.</summary>
    public TaskCompletionSource Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<RpcClient> ConnectUnixAsync(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
        var stream = new NetworkStream(socket, ownsSocket: true);
        var client = new RpcClient(
            async text =>
            {
                await stream.WriteAsync(Encoding.UTF8.GetBytes(text + "\n"));
                await stream.FlushAsync();
            },
            async () => await stream.DisposeAsync());
        _ = client.ReadLinesAsync(stream);
        return client;
    }

    public static async Task<RpcClient> ConnectWebSocketAsync(Uri uri, string token)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        await socket.ConnectAsync(uri, CancellationToken.None);
        var sendLock = new SemaphoreSlim(1, 1);
        var client = new RpcClient(
            async text =>
            {
                await sendLock.WaitAsync();
                try
                {
                    await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
                }
                finally
                {
                    sendLock.Release();
                }
            },
            async () =>
            {
                try
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                }
                catch (WebSocketException)
                {
                }

                socket.Dispose();
            });
        _ = client.ReadFramesAsync(socket);
        return client;
    }

    /// <summary>Sends raw text and returns the next reply (parsed), or throws if none comes in time.</summary>
    public async Task<JsonNode?> SendRawAsync(string text)
    {
        await _callLock.WaitAsync();
        try
        {
            await _send(text);
            return await _replies.Reader.ReadAsync().AsTask().WaitAsync(ReplyTimeout);
        }
        finally
        {
            _callLock.Release();
        }
    }

    /// <summary>Sends raw text that must get no reply (notifications).</summary>
    public Task SendOnlyAsync(string text) => _send(text);

    /// <summary>True when a reply is waiting (used after a message that must not be answered).</summary>
    public bool HasPendingReply => _replies.Reader.TryPeek(out _);

    /// <summary>Calls a method; returns the whole reply object (with result or error).</summary>
    public async Task<JsonObject> CallRawAsync(string method, object? parameters = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var request = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method };
        if (parameters is not null)
        {
            request["params"] = JsonSerializer.SerializeToNode(parameters, parameters.GetType());
        }

        var reply = (await SendRawAsync(request.ToJsonString()))!.AsObject();
        Assert.That(reply["id"]!.GetValue<long>(), Is.EqualTo(id), "reply id");
        return reply;
    }

    /// <summary>Calls a method and returns its result; fails the test on an error reply.</summary>
    public async Task<JsonNode> CallAsync(string method, object? parameters = null)
    {
        var reply = await CallRawAsync(method, parameters);
        Assert.That(reply["error"], Is.Null, () => $"{method} failed: {reply.ToJsonString()}");
        return reply["result"]!;
    }

    /// <summary>Calls a method that must fail; returns the error object.</summary>
    public async Task<JsonObject> CallErrorAsync(string method, object? parameters = null)
    {
        var reply = await CallRawAsync(method, parameters);
        Assert.That(reply["error"], Is.Not.Null, () => $"{method} should have failed: {reply.ToJsonString()}");
        return reply["error"]!.AsObject();
    }

    public async Task<JsonObject> NextNotificationAsync() =>
        await _notifications.Reader.ReadAsync().AsTask().WaitAsync(ReplyTimeout);

    public async ValueTask DisposeAsync()
    {
        await _close();
        _callLock.Dispose();
    }

    private void Dispatch(string text)
    {
        var node = JsonNode.Parse(text);
        if (node is JsonObject obj && obj["method"] is not null && obj["id"] is null)
        {
            _notifications.Writer.TryWrite(obj);
            return;
        }

        _replies.Writer.TryWrite(node);
    }

    private async Task ReadLinesAsync(Stream stream)
    {
        try
        {
            using var reader = new StreamReader(stream, Encoding.UTF8);
            while (await reader.ReadLineAsync() is { } line)
            {
                Dispatch(line);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }
        finally
        {
            Closed.TrySetResult();
        }
    }

    private async Task ReadFramesAsync(ClientWebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    Dispatch(Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length));
                    message.SetLength(0);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            Closed.TrySetResult();
        }
    }
}
