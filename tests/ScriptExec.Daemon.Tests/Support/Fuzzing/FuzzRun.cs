using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;

namespace ScriptExec.Daemon.Tests.Support.Fuzzing;

/// <summary>
/// One fuzz run against a daemon: inputs are handed out in chunks, each chunk pipelined on a fresh connection (one in
/// ten over the WebSocket, the rest over the Unix socket), half-closed, and every message the daemon sends back is
/// checked until it closes the connection.
/// </summary>
public sealed class FuzzRun
{
    private const int UnixChunk = 250;
    private const int WebSocketChunk = 100;
    private const int MaxProblemsKept = 20;
    private static readonly TimeSpan ConnectionTimeout = TimeSpan.FromSeconds(60);
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Lock _gate = new();
    private readonly MessageMutator _mutator;
    private readonly int _target;
    private readonly ConcurrentQueue<string> _problems = new();
    private readonly ConcurrentDictionary<string, int> _outcomes = new();
    private int _taken;
    private int _chunks;
    private int _sent;
    private int _received;
    private int _unixConnections;
    private int _webSocketConnections;
    private int _problemCount;

    public FuzzRun(MessageMutator mutator, int target)
    {
        _mutator = mutator;
        _target = target;
    }

    public int InputsSent => _sent;

    public int MessagesReceived => _received;

    /// <summary>What was wrong (the first few), each with the chunk it happened in.</summary>
    public IReadOnlyCollection<string> Problems => _problems;

    public int ProblemCount => _problemCount;

    /// <summary>How many replies (batch members included) were <c>-32603</c>: an input made something fail inside.</summary>
    public int InternalErrors => _outcomes.GetValueOrDefault("-32603");

    /// <summary>Sends chunks until the run's target is handed out; several workers may share one run.</summary>
    public async Task WorkAsync(DaemonUnderTest daemon, string token)
    {
        while (NextChunk() is { } chunk)
        {
            await RunChunkAsync(daemon, token, chunk.Index, chunk.WebSocket, chunk.Inputs);
        }
    }

    public string Summary(TimeSpan elapsed) =>
        $"{_sent} inputs sent in {_chunks} connections ({_unixConnections} unix, {_webSocketConnections} websocket), "
        + $"{_received} messages received, in {elapsed.TotalSeconds:0.0} s; replies by outcome (batch members counted too): "
        + string.Join(", ", _outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Key} x{o.Value}"));

    private (int Index, bool WebSocket, List<byte[]> Inputs)? NextChunk()
    {
        lock (_gate)
        {
            if (_taken >= _target)
            {
                return null;
            }

            int index = _chunks++;
            bool webSocket = index % 10 == 9;
            int size = Math.Min(webSocket ? WebSocketChunk : UnixChunk, _target - _taken);
            _taken += size;
            var inputs = new List<byte[]>(size);
            for (int i = 0; i < size; i++)
            {
                inputs.Add(_mutator.Next());
            }

            return (index, webSocket, inputs);
        }
    }

    private async Task RunChunkAsync(DaemonUnderTest daemon, string token, int index, bool webSocket, List<byte[]> inputs)
    {
        Interlocked.Increment(ref webSocket ? ref _webSocketConnections : ref _unixConnections);
        await using RawConnection connection = webSocket
            ? await RawConnection.OpenWebSocketAsync(daemon.WebSocketUri, token)
            : await RawConnection.OpenUnixAsync(daemon.SocketPath);
        Task checking = CheckEverythingReceivedAsync(connection, index);
        int sent = 0;
        foreach (byte[] input in inputs)
        {
            // Over the WebSocket, bytes that are not UTF-8 go as a binary frame: a text frame would be refused by
            // the WebSocket layer before our parser ever saw it.
            bool delivered = webSocket
                ? await connection.TrySendAsync(input, binary: !IsUtf8(input))
                : await connection.TrySendAsync((byte[])[.. input, (byte)'\n']);
            if (!delivered)
            {
                await ClosedEarlyAsync(daemon, token, index, webSocket, inputs[..(sent + 1)]);
                break;
            }

            sent++;
        }

        Interlocked.Add(ref _sent, sent);
        if (sent == inputs.Count && (connection.Closed.IsCompleted || !await connection.TryCompleteSendingAsync()))
        {
            await ClosedEarlyAsync(daemon, token, index, webSocket, inputs);
        }

        try
        {
            await checking.WaitAsync(ConnectionTimeout);
        }
        catch (TimeoutException)
        {
            Problem(index, $"the server did not finish and close the connection within {ConnectionTimeout} of the client's half-close");
        }
    }

    /// <summary>
    /// The server gave up on a connection it should have kept: replays the inputs one per connection, each followed
    /// by a <c>status</c> call, to name the input after which the connection no longer answers.
    /// </summary>
    private async Task ClosedEarlyAsync(DaemonUnderTest daemon, string token, int index, bool webSocket, List<byte[]> inputs)
    {
        byte[] sentinel = """{"jsonrpc":"2.0","id":"fuzz-sentinel","method":"status"}"""u8.ToArray();
        foreach (byte[] input in inputs)
        {
            await using RawConnection probe = webSocket
                ? await RawConnection.OpenWebSocketAsync(daemon.WebSocketUri, token)
                : await RawConnection.OpenUnixAsync(daemon.SocketPath);
            bool answered = false;
            if (webSocket
                ? await probe.TrySendAsync(input, binary: !IsUtf8(input)) && await probe.TrySendAsync(sentinel)
                : await probe.TrySendAsync((byte[])[.. input, (byte)'\n', .. sentinel, (byte)'\n']))
            {
                await probe.TryCompleteSendingAsync();
                await foreach (byte[] message in probe.Messages.ReadAllAsync())
                {
                    answered |= Encoding.UTF8.GetString(message).Contains("fuzz-sentinel", StringComparison.Ordinal);
                }
            }

            if (!answered)
            {
                Problem(index, $"the server closed the connection after this input: {Preview(input)} (hex {Convert.ToHexString(input.AsSpan(0, Math.Min(input.Length, 200)))})");
                return;
            }
        }

        Problem(index, "the server closed the connection early, but no single input of the chunk does that on its own");
    }

    private async Task CheckEverythingReceivedAsync(RawConnection connection, int index)
    {
        await foreach (byte[] message in connection.Messages.ReadAllAsync())
        {
            Interlocked.Increment(ref _received);
            if (ReplyShape.Problem(message) is { } problem)
            {
                Problem(index, $"{problem}: {Preview(message)}");
                continue;
            }

            JsonNode? parsed = ReplyShape.Parse(message);
            if (parsed is JsonArray batch)
            {
                Count("batch");
                foreach (JsonNode? member in batch)
                {
                    Count(Outcome(member));
                }
            }
            else
            {
                Count(Outcome(parsed));
            }
        }
    }

    private static string Outcome(JsonNode? message) => message switch
    {
        JsonObject o when o["error"] is JsonObject error => error["code"]!.ToJsonString(),
        JsonObject o when o.ContainsKey("result") => "result",
        _ => "notification",
    };

    private void Count(string outcome) => _outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);

    private void Problem(int chunk, string what)
    {
        if (Interlocked.Increment(ref _problemCount) <= MaxProblemsKept)
        {
            _problems.Enqueue($"chunk {chunk}: {what}");
        }
    }

    private static bool IsUtf8(byte[] bytes)
    {
        try
        {
            StrictUtf8.GetCharCount(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private static string Preview(byte[] bytes)
    {
        string text = Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 300));
        return bytes.Length > 300 ? text + $"... ({bytes.Length} bytes)" : text;
    }
}
