using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Nerdbank.Streams;
using ScriptExec.Rpc.Protocol;

namespace ScriptExec.Rpc.Tests.Protocol;

/// <summary>The framings a connection can use.</summary>
public enum TransportKind
{
    Ndjson,
    WebSocket,
}

/// <summary>A client on one end of an in-memory connection whose other end is served by a real <see cref="RpcConnection"/>.</summary>
internal abstract class RpcTestClient : IAsyncDisposable
{
    public const int DefaultMaxMessageBytes = 64 * 1024;
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(10);

    private RpcConnection? _connection;
    private Task? _serving;

    public RpcConnection Connection => _connection!;

    /// <summary>Gets the close status the server sent, for WebSocket connections.</summary>
    public WebSocketCloseStatus? CloseStatus { get; protected set; }

    public static RpcTestClient Start(
        TransportKind kind,
        object? target = null,
        int maxMessageBytes = DefaultMaxMessageBytes,
        ILogger? logger = null,
        int maxUnansweredRequests = SpecCompliantMessageHandler.DefaultMaxUnansweredRequests)
    {
        (RpcTestClient client, IMessageTransport transport) = kind switch
        {
            TransportKind.Ndjson => NdjsonClient.Create(maxMessageBytes),
            _ => WebSocketClient.Create(maxMessageBytes),
        };
        target ??= new SpecExampleTarget();
        client._connection = new RpcConnection(
            transport,
            target,
            target.GetType(),
            logger ?? NullLogger.Instance,
            maxUnansweredRequests: maxUnansweredRequests);
        client._serving = client._connection.RunAsync(CancellationToken.None);
        return client;
    }

    public abstract Task SendAsync(string message);

    /// <summary>Half-closes: the client will send nothing more but still reads.</summary>
    public abstract Task CompleteSendingAsync();

    /// <summary>Receives the next message, or null once the server has closed the connection.</summary>
    public Task<string?> ReceiveAsync() => ReceiveCoreAsync().WaitAsync(ReplyTimeout);

    public async Task<string> ReceiveReplyAsync()
    {
        string? reply = await ReceiveAsync();
        Assert.That(reply, Is.Not.Null, "the server closed the connection instead of replying");
        return reply!;
    }

    public async Task<string> CallAsync(string message)
    {
        await SendAsync(message);
        return await ReceiveReplyAsync();
    }

    /// <summary>Waits until the server's connection task has ended.</summary>
    public Task WaitUntilServingEndedAsync() => _serving!.WaitAsync(ReplyTimeout);

    public async ValueTask DisposeAsync()
    {
        await _connection!.DisposeAsync();
        await _serving!.WaitAsync(ReplyTimeout);
        await DisposeClientAsync();
    }

    protected abstract Task<string?> ReceiveCoreAsync();

    protected abstract ValueTask DisposeClientAsync();

    private sealed class NdjsonClient(IDuplexPipe pipe) : RpcTestClient
    {
        public static (RpcTestClient, IMessageTransport) Create(int maxMessageBytes)
        {
            (IDuplexPipe server, IDuplexPipe client) = FullDuplexStream.CreatePipePair();
            return (new NdjsonClient(client), new NdjsonTransport(server.Input, server.Output, maxMessageBytes));
        }

        // NDJSON carries one message per line: the specification's multi-line examples travel on one.
        public override async Task SendAsync(string message) =>
            await pipe.Output.WriteAsync(Encoding.UTF8.GetBytes(message.ReplaceLineEndings(" ") + "\n"));

        public override Task CompleteSendingAsync() => pipe.Output.CompleteAsync().AsTask();

        protected override async Task<string?> ReceiveCoreAsync()
        {
            while (true)
            {
                ReadResult result = await pipe.Input.ReadAsync();
                ReadOnlySequence<byte> buffer = result.Buffer;
                if (buffer.PositionOf((byte)'\n') is { } newline)
                {
                    string line = Encoding.UTF8.GetString(buffer.Slice(0, newline));
                    pipe.Input.AdvanceTo(buffer.GetPosition(1, newline));
                    return line;
                }

                if (result.IsCompleted)
                {
                    Assert.That(buffer.IsEmpty, Is.True, "the server wrote a line without its newline");
                    pipe.Input.AdvanceTo(buffer.End);
                    return null;
                }

                pipe.Input.AdvanceTo(buffer.Start, buffer.End);
            }
        }

        protected override async ValueTask DisposeClientAsync()
        {
            await pipe.Input.CompleteAsync();
            await pipe.Output.CompleteAsync();
        }
    }

    private sealed class WebSocketClient(WebSocket socket) : RpcTestClient
    {
        public static (RpcTestClient, IMessageTransport) Create(int maxMessageBytes)
        {
            (Stream server, Stream client) = FullDuplexStream.CreatePair();
            var serverSocket = WebSocket.CreateFromStream(server, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = Timeout.InfiniteTimeSpan });
            var clientSocket = WebSocket.CreateFromStream(client, new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = Timeout.InfiniteTimeSpan });
            return (new WebSocketClient(clientSocket), new WebSocketTransport(serverSocket, maxMessageBytes));
        }

        public override Task SendAsync(string message) =>
            socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

        public override Task CompleteSendingAsync() =>
            socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);

        protected override async Task<string?> ReceiveCoreAsync()
        {
            using var message = new MemoryStream();
            byte[] buffer = new byte[4096];
            while (true)
            {
                WebSocketReceiveResult result;
                try
                {
                    result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                }
                catch (WebSocketException)
                {
                    return null;
                }

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    CloseStatus = result.CloseStatus;
                    return null;
                }

                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    return Encoding.UTF8.GetString(message.ToArray());
                }
            }
        }

        protected override ValueTask DisposeClientAsync()
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
