using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace ScriptExec.Cli.Connection;

/// <summary>A server notification: <c>execution_changed</c> or <c>execution_output</c> with its params.</summary>
internal sealed record Notification(string Method, JsonElement Params);

/// <summary>
/// A JSON-RPC 2.0 client over one connection. Calls are made one at a time; notifications that arrive meanwhile
/// are kept, in order, for <see cref="NextNotificationAsync"/>. A background reader owns the transport's receive
/// side so that waiting for a notification can time out without cancelling a half-read message.
/// </summary>
internal sealed class DaemonClient : IAsyncDisposable
{
    private readonly IMessageChannel _channel;
    private readonly Channel<JsonElement> _incoming = Channel.CreateUnbounded<JsonElement>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Queue<Notification> _notifications = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;
    private long _nextId;

    /// <summary>A client over an open channel (tests give it a scripted one).</summary>
    internal DaemonClient(IMessageChannel channel)
    {
        _channel = channel;
        _reader = ReadLoopAsync(_stop.Token);
    }

    public static async Task<DaemonClient> ConnectAsync(ConnectionSettings settings, CancellationToken cancellationToken)
    {
        IMessageChannel channel = settings.Url is { } url
            ? await WebSocketChannel.ConnectAsync(url, settings.Token!(), cancellationToken)
            : await UnixSocketChannel.ConnectAsync(settings.SocketPath, cancellationToken);
        return new DaemonClient(channel);
    }

    /// <summary>Calls <paramref name="method"/> and returns its result; an error reply throws <see cref="RpcErrorException"/>.</summary>
    public async Task<JsonElement> CallAsync(string method, JsonObject? parameters, CancellationToken cancellationToken)
    {
        var id = ++_nextId;
        var request = new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["id"] = id,
            ["method"] = method,
            ["params"] = parameters ?? [],
        };
        try
        {
            await _channel.SendAsync(request.ToJsonString(), cancellationToken);
        }
        catch (DaemonUnavailableException)
        {
            if (await ExplanationAsync(cancellationToken) is { } explanation)
            {
                throw explanation;
            }

            throw;
        }

        while (true)
        {
            var message = await ReadIncomingAsync(cancellationToken);
            if (AsNotification(message) is { } notification)
            {
                _notifications.Enqueue(notification);
                continue;
            }

            // An error about a request the daemon could not even read (too large, not JSON) comes with id null.
            if (message.TryGetProperty("error", out var unattributed) && (!message.TryGetProperty("id", out var nullId) || nullId.ValueKind == JsonValueKind.Null))
            {
                throw ToException(unattributed);
            }

            if (!message.TryGetProperty("id", out var replyId) || replyId.ValueKind != JsonValueKind.Number || replyId.GetInt64() != id)
            {
                throw new ProtocolException($"{method}: expected the reply to request {id}, got {Abbreviate(message)}");
            }

            if (message.TryGetProperty("error", out var error))
            {
                throw ToException(error);
            }

            return message.TryGetProperty("result", out var result)
                ? result
                : throw new ProtocolException($"{method}: a reply with neither result nor error");
        }
    }

    /// <summary>The next notification, or null when none arrives within <paramref name="timeout"/>.</summary>
    public async Task<Notification?> NextNotificationAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_notifications.TryDequeue(out var queued))
        {
            return queued;
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(timeout);
        JsonElement message;
        try
        {
            message = await ReadIncomingAsync(wait.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }

        // Only notifications can arrive between calls; anything else is a daemon bug worth stopping on.
        return AsNotification(message) ?? throw new ProtocolException("unexpected message between calls: " + Abbreviate(message));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _channel.DisposeAsync();
        try
        {
            await _reader;
        }
        catch (Exception e) when (e is OperationCanceledException or CliException or ObjectDisposedException)
        {
            // The reader ends with the connection.
        }

        _stop.Dispose();
    }

    /// <summary>
    /// After a failed send: the daemon closes the connection on a request it refuses to read (over its size limit),
    /// but first answers why. That answer, if it came, explains the failure better than a broken pipe.
    /// </summary>
    private async Task<RpcErrorException?> ExplanationAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var message = await ReadIncomingAsync(cancellationToken);
                if (message.TryGetProperty("error", out var error))
                {
                    return ToException(error);
                }
            }
        }
        catch (CliException)
        {
            return null;
        }
    }

    /// <summary>Reads the next message; once the connection ended, rethrows why (closed, lost, invalid JSON).</summary>
    private async Task<JsonElement> ReadIncomingAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _incoming.Reader.ReadAsync(cancellationToken);
        }
        catch (ChannelClosedException e)
        {
            throw e.InnerException as CliException ?? new DaemonUnavailableException("the connection to scriptexecd was closed", e);
        }
    }

    private async Task ReadLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _channel.ReceiveAsync(cancellationToken) is { } text)
            {
                _incoming.Writer.TryWrite(Parse(text));
            }

            _incoming.Writer.TryComplete(new DaemonUnavailableException("scriptexecd closed the connection"));
        }
        catch (Exception e) when (e is CliException or OperationCanceledException or ObjectDisposedException)
        {
            _incoming.Writer.TryComplete(e is CliException ? e : new DaemonUnavailableException("the connection to scriptexecd was closed", e));
        }
    }

    private static JsonElement Parse(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? document.RootElement.Clone()
                : throw new ProtocolException("the daemon sent a message that is not a JSON object: " + Abbreviate(text));
        }
        catch (JsonException e)
        {
            throw new ProtocolException("the daemon sent invalid JSON: " + Abbreviate(text), e);
        }
    }

    private static Notification? AsNotification(JsonElement message) =>
        message.TryGetProperty("method", out var method) && method.ValueKind == JsonValueKind.String && !message.TryGetProperty("id", out _)
            ? new Notification(method.GetString()!, message.TryGetProperty("params", out var p) ? p : default)
            : null;

    private static RpcErrorException ToException(JsonElement error)
    {
        var code = error.TryGetProperty("code", out var c) && c.TryGetInt32(out var n) ? n : 0;
        var message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "error " + code;
        string? reason = null, field = null;
        if (error.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object)
        {
            reason = data.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
            field = data.TryGetProperty("field", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
        }

        return new RpcErrorException(code, message, reason, field);
    }

    private static string Abbreviate(JsonElement message) => Abbreviate(message.GetRawText());

    private static string Abbreviate(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
