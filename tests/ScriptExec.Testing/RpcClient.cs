using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace ScriptExec.Testing;

/// <summary>
/// A plain JSON-RPC client over either transport, the way a user's tool talks to the daemon: raw text out, whole
/// messages in. Replies are matched to calls by id; replies no call waits for (to raw sends) and notifications from
/// the server are kept apart. Tests call one at a time (<see cref="CallAsync"/>); load generators overlap calls
/// and take replies as received lines (<see cref="CallLineAsync"/>), paying for finding the id, not for parsing.
/// </summary>
public sealed partial class RpcClient : IAsyncDisposable
{
    public static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(30);

    private readonly Func<ReadOnlyMemory<byte>, CancellationToken, Task> _send;
    private readonly Func<Task> _close;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<byte[]>> _pending = new();
    private readonly Channel<JsonNode?> _replies = Channel.CreateUnbounded<JsonNode?>();
    private readonly Channel<JsonObject> _notifications = Channel.CreateUnbounded<JsonObject>();
    private readonly SemaphoreSlim _callLock = new(1, 1);
    private long _nextId;

    private RpcClient(Func<ReadOnlyMemory<byte>, CancellationToken, Task> send, Func<Task> close)
    {
        _send = send;
        _close = close;
    }

    /// <summary>
    /// A server notification: method and params, valid only during the call. While a handler is attached,
    /// notifications go to it instead of <see cref="NextNotificationAsync"/>'s queue (a flood is not kept).
    /// </summary>
    public event Action<string, JsonElement>? Notification;

    /// <summary>Completes when the server closed the connection.</summary>
    public TaskCompletionSource Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Sends raw text and returns the next reply no call waits for (parsed), or throws if none comes in time.</summary>
    public async Task<JsonNode?> SendRawAsync(string text)
    {
        await _callLock.WaitAsync();
        try
        {
            await _send(Encoding.UTF8.GetBytes(text), CancellationToken.None);
            return await _replies.Reader.ReadAsync().AsTask().WaitAsync(ReplyTimeout);
        }
        finally
        {
            _callLock.Release();
        }
    }

    /// <summary>Sends raw text that must get no reply (notifications).</summary>
    public Task SendOnlyAsync(string text) => _send(Encoding.UTF8.GetBytes(text), CancellationToken.None);

    /// <summary>True when a reply no call waits for is there (used after a message that must not be answered).</summary>
    public bool HasPendingReply => _replies.Reader.TryPeek(out _);

    /// <summary>Calls a method; returns the whole reply object (with result or error).</summary>
    public async Task<JsonObject> CallRawAsync(string method, object? parameters = null)
    {
        await _callLock.WaitAsync();
        try
        {
            var id = Interlocked.Increment(ref _nextId);
            var request = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method };
            if (parameters is not null)
            {
                request["params"] = JsonSerializer.SerializeToNode(parameters, parameters.GetType());
            }

            var line = await CallByIdAsync(id, Encoding.UTF8.GetBytes(request.ToJsonString()), CancellationToken.None).WaitAsync(ReplyTimeout);
            var reply = JsonNode.Parse(line)!.AsObject();
            Assert.That(reply["id"]!.GetValue<long>(), Is.EqualTo(id), "reply id");
            return reply;
        }
        finally
        {
            _callLock.Release();
        }
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

    /// <summary>Calls <paramref name="method"/> with params already serialized; returns the reply line as received. Calls may overlap.</summary>
    public Task<byte[]> CallLineAsync(string method, string parametersJson, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _nextId);
        var request = Encoding.UTF8.GetBytes(string.Create(
            CultureInfo.InvariantCulture, $"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"{method}\",\"params\":{parametersJson}}}"));
        return CallByIdAsync(id, request, cancellationToken);
    }

    /// <summary>Calls <paramref name="method"/> and returns its result; a JSON-RPC error throws <see cref="RpcCallException"/>. Calls may overlap.</summary>
    public async Task<JsonElement> CallResultAsync(string method, JsonNode? parameters, CancellationToken cancellationToken) =>
        ParseResult(await CallLineAsync(method, parameters?.ToJsonString() ?? "{}", cancellationToken));

    /// <summary>The <c>result</c> of a reply line, cloned; an <c>error</c> throws <see cref="RpcCallException"/>.</summary>
    public static JsonElement ParseResult(byte[] line)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        if (root.TryGetProperty("error", out var error))
        {
            throw new RpcCallException(
                error.TryGetProperty("code", out var code) ? code.GetInt32() : 0,
                error.TryGetProperty("message", out var message) ? message.GetString() ?? "" : "",
                error.TryGetProperty("data", out var data) ? data.GetRawText() : null);
        }

        return root.GetProperty("result").Clone();
    }

    public async Task<JsonObject> NextNotificationAsync() =>
        await _notifications.Reader.ReadAsync().AsTask().WaitAsync(ReplyTimeout);

    public async ValueTask DisposeAsync()
    {
        await _close();
        _callLock.Dispose();
    }

    private async Task<byte[]> CallByIdAsync(long id, byte[] request, CancellationToken cancellationToken)
    {
        var reply = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        try
        {
            await _send(request, cancellationToken);
            return await reply.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    /// <summary>Routes one message: a reply to its waiting call, a notification to its handler or queue, anything else to the raw replies.</summary>
    private void Dispatch(ReadOnlySpan<byte> message)
    {
        if (message.IsEmpty)
        {
            return;
        }

        // Only the top level is looked at: the id of a reply, or the method of a notification.
        var reader = new Utf8JsonReader(message);
        long? id = null;
        var hasId = false;
        string? method = null;
        if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isId = reader.ValueTextEquals("id"u8);
                var isMethod = reader.ValueTextEquals("method"u8);
                reader.Read();
                if (isId)
                {
                    hasId = reader.TokenType != JsonTokenType.Null;
                    id = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var number) ? number : null;
                }
                else if (isMethod && reader.TokenType == JsonTokenType.String)
                {
                    method = reader.GetString();
                }

                reader.Skip();
            }
        }

        if (method is null && id is { } replyId && _pending.TryRemove(replyId, out var pending))
        {
            pending.TrySetResult(message.ToArray());
        }
        else if (method is not null && !hasId)
        {
            if (Notification is { } handler)
            {
                using var document = JsonDocument.Parse(message.ToArray());
                handler(method, document.RootElement.TryGetProperty("params", out var parameters) ? parameters : default);
            }
            else
            {
                _notifications.Writer.TryWrite(JsonNode.Parse(message)!.AsObject());
            }
        }
        else
        {
            _replies.Writer.TryWrite(JsonNode.Parse(message));
        }
    }

    /// <summary>Ends the calls still waiting: the server closed the connection and will not answer them.</summary>
    private void EndPendingCalls()
    {
        foreach (var (id, pending) in _pending)
        {
            if (_pending.TryRemove(id, out _))
            {
                pending.TrySetException(new IOException("the daemon closed the connection"));
            }
        }

        Closed.TrySetResult();
    }
}

/// <summary>The daemon answered a call with a JSON-RPC error.</summary>
public sealed class RpcCallException : Exception
{
    public RpcCallException(int code, string message, string? data)
        : base($"JSON-RPC error {code}: {message}{(data is null ? "" : " " + data)}")
    {
        Code = code;
    }

    public RpcCallException()
    {
    }

    public RpcCallException(string message)
        : base(message)
    {
    }

    public RpcCallException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public int Code { get; }
}
