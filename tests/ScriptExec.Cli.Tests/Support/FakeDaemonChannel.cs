using System.Text.Json.Nodes;
using System.Threading.Channels;
using ScriptExec.Cli.Connection;

namespace ScriptExec.Cli.Tests.Support;

/// <summary>
/// A scripted daemon for one execution (id 1) whose store and notifications the test controls, to drive the
/// follower through situations a real daemon produces only by chance: a line notified before it is stored, a
/// line that never reaches the store, an end notification that never comes.
/// </summary>
public sealed class FakeDaemonChannel : IMessageChannel
{
    private readonly Channel<string> _toClient = Channel.CreateUnbounded<string>();
    private readonly object _lock = new();
    private readonly SortedDictionary<long, (string Content, string Stream)> _stored = [];
    private string _state = "running";

    /// <summary>Store reads made so far; signalled through <see cref="StoreRead"/>.</summary>
    public int StoreReads { get; private set; }

    public CapturedWriter StoreRead { get; } = new();

    /// <summary>Makes lines readable from the store, with the same content their notifications carry.</summary>
    public void Store(params long[] ids)
    {
        lock (_lock)
        {
            foreach (var id in ids)
            {
                _stored[id] = ("line " + id, "stdout");
            }
        }
    }

    public void End()
    {
        lock (_lock)
        {
            _state = "finished";
        }
    }

    public void NotifyLines(params long[] ids) => Notify("execution_output", new JsonObject
    {
        ["subscription_id"] = 1,
        ["execution_id"] = 1,
        ["lines"] = new JsonArray([.. ids.Select(id => (JsonNode)Line(id, "line " + id, "stdout"))]),
    });

    public void NotifyEnd() => Notify("execution_changed", new JsonObject { ["subscription_id"] = 1, ["execution"] = Execution() });

    /// <summary>False: behave like a daemon from before <c>execution_subscribe</c> (-32601).</summary>
    public bool CanSubscribe { get; init; } = true;

    public Task SendAsync(string message, CancellationToken cancellationToken)
    {
        var request = JsonNode.Parse(message)!;
        var method = request["method"]!.GetValue<string>();
        if (method == "execution_subscribe" && !CanSubscribe)
        {
            var error = new JsonObject { ["code"] = -32601, ["message"] = "Method not found" };
            _toClient.Writer.TryWrite(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = request["id"]!.DeepClone(), ["error"] = error }.ToJsonString());
            return Task.CompletedTask;
        }

        JsonNode result = method switch
        {
            "execution_subscribe" => new JsonObject { ["subscription_id"] = 1 },
            "script_execution_output_get" => OutputPage(request["params"]!),
            _ => throw new InvalidOperationException("unexpected call " + method),
        };
        _toClient.Writer.TryWrite(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = request["id"]!.DeepClone(), ["result"] = result }.ToJsonString());
        return Task.CompletedTask;
    }

    public async Task<string?> ReceiveAsync(CancellationToken cancellationToken) =>
        await _toClient.Reader.WaitToReadAsync(cancellationToken) ? await _toClient.Reader.ReadAsync(cancellationToken) : null;

    public ValueTask DisposeAsync()
    {
        _toClient.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    private void Notify(string method, JsonObject parameters) =>
        _toClient.Writer.TryWrite(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = method, ["params"] = parameters }.ToJsonString());

    private JsonObject OutputPage(JsonNode parameters)
    {
        var after = parameters["pagination"]!["id_exclusive"]?.GetValue<long>() ?? 0;
        var limit = parameters["pagination"]!["limit"]!.GetValue<int>();
        var noStreams = parameters["filter"]!["streams"] is JsonArray { Count: 0 };
        JsonObject page;
        lock (_lock)
        {
            // As the daemon does: the execution is read before the lines.
            var execution = Execution();
            var lines = noStreams ? [] : _stored.Where(l => l.Key > after).Take(limit).Select(l => (JsonNode)Line(l.Key, l.Value.Content, l.Value.Stream)).ToArray();
            page = new JsonObject { ["execution"] = execution, ["lines"] = new JsonArray(lines) };
            if (!noStreams)
            {
                StoreReads++;
            }
        }

        StoreRead.Write("read\n");
        return page;
    }

    private JsonObject Execution() => new()
    {
        ["id"] = 1,
        ["script_name"] = "s",
        ["instance_name"] = "i",
        ["start_timestamp"] = 1_700_000_000,
        ["start_trigger"] = new JsonObject { ["type"] = "manual", ["username"] = "t" },
        ["state"] = _state,
    };

    private static JsonObject Line(long id, string content, string stream) => new()
    {
        ["id"] = id,
        ["content"] = content,
        ["stream"] = stream,
        ["timestamp_ms"] = 0,
    };
}
