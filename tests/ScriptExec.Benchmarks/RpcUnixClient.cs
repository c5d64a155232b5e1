using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ScriptExec.Benchmarks;

/// <summary>
/// JSON-RPC 2.0 over scriptexecd's Unix socket: one message per line (NDJSON). Calls may overlap; responses are
/// matched by id, notifications go to <see cref="Notification"/>. Responses are handed back as the raw line so a
/// latency loop pays for finding the id, not for parsing a 50-row result it does not look at.
/// </summary>
internal sealed class RpcUnixClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<byte[]>> _pending = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _closed = new();
    private readonly Task _reader;
    private long _nextId;

    private RpcUnixClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = Task.Run(ReadLoopAsync);
    }

    /// <summary>A server notification: method and params. The element is valid only during the call.</summary>
    public event Action<string, JsonElement>? Notification;

    public static async Task<RpcUnixClient> ConnectAsync(string socketPath, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new RpcUnixClient(socket);
    }

    /// <summary>Calls <paramref name="method"/> and returns its result; a JSON-RPC error throws <see cref="RpcCallException"/>.</summary>
    public async Task<JsonElement> CallAsync(string method, JsonNode? parameters, CancellationToken cancellationToken) =>
        ParseResult(await CallRawAsync(method, parameters?.ToJsonString() ?? "{}", cancellationToken));

    /// <summary>Calls <paramref name="method"/> with params already serialized; returns the response line as received.</summary>
    public async Task<byte[]> CallRawAsync(string method, string parametersJson, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _nextId);
        var response = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = response;
        var request = Encoding.UTF8.GetBytes(string.Create(
            CultureInfo.InvariantCulture, $"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"{method}\",\"params\":{parametersJson}}}\n"));
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            await _stream.WriteAsync(request, cancellationToken);
        }
        finally
        {
            _sendLock.Release();
        }

        return await response.Task.WaitAsync(cancellationToken);
    }

    /// <summary>The <c>result</c> of a response line, cloned; an <c>error</c> throws.</summary>
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

    public async ValueTask DisposeAsync()
    {
        await _closed.CancelAsync();
        _socket.Shutdown(SocketShutdown.Both);
        await _stream.DisposeAsync();
        try
        {
            await _reader;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Closing ends the read loop one way or another.
        }

        _closed.Dispose();
        _sendLock.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        var count = 0;
        try
        {
            while (true)
            {
                if (count == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                var read = await _stream.ReadAsync(buffer.AsMemory(count), _closed.Token);
                if (read == 0)
                {
                    break;
                }

                var scanFrom = count;
                count += read;
                var start = 0;
                int newline;
                while ((newline = buffer.AsSpan(scanFrom, count - scanFrom).IndexOf((byte)'\n')) >= 0)
                {
                    var end = scanFrom + newline;
                    Dispatch(buffer.AsSpan(start, end - start));
                    start = scanFrom = end + 1;
                }

                if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, count - start);
                    count -= start;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Closed by us or by the daemon: pending calls fail below.
        }
        finally
        {
            foreach (var (id, pending) in _pending)
            {
                if (_pending.TryRemove(id, out _))
                {
                    pending.TrySetException(new IOException("the daemon closed the connection"));
                }
            }
        }
    }

    private void Dispatch(ReadOnlySpan<byte> line)
    {
        if (line.IsEmpty)
        {
            return;
        }

        // Only the top level is looked at: the id of a response, or the method of a notification.
        var reader = new Utf8JsonReader(line);
        long? id = null;
        string? method = null;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                id = reader.TokenType == JsonTokenType.Number ? reader.GetInt64() : null;
            }
            else if (reader.ValueTextEquals("method"u8))
            {
                reader.Read();
                method = reader.GetString();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (method is not null)
        {
            using var document = JsonDocument.Parse(line.ToArray());
            Notification?.Invoke(method, document.RootElement.TryGetProperty("params", out var p) ? p : default);
        }
        else if (id is { } responseId && _pending.TryRemove(responseId, out var pending))
        {
            pending.TrySetResult(line.ToArray());
        }
    }
}

/// <summary>The daemon answered a call with a JSON-RPC error.</summary>
internal sealed class RpcCallException : Exception
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
