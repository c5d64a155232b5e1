using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ScriptExec.Benchmarks;

/// <summary>
/// Runs one instance on scriptexecd over its own Unix-socket connection: script_start, then the end as the daemon
/// announces it (execution_changed, sent after the end record is committed), then script_execution_get to see it
/// recorded as ended. The end may be announced before script_start's reply arrives; both orders are handled.
/// </summary>
internal sealed class InstanceRunner : IAsyncDisposable
{
    private static readonly TimeSpan EndTimeout = TimeSpan.FromMinutes(5);

    private readonly RpcClient _client;
    private readonly string _startParams;
    private readonly string _newestParams;
    private readonly ConcurrentDictionary<long, TaskCompletionSource> _ended = new();

    private InstanceRunner(RpcClient client, string script, string instance)
    {
        _client = client;
        _startParams = new JsonObject { ["script_name"] = script, ["instance_name"] = instance }.ToJsonString();
        _newestParams = new JsonObject
        {
            ["filter"] = new JsonObject { ["instances"] = InstanceFilter(script, instance) },
            ["pagination"] = new JsonObject { ["limit"] = -1 },
        }.ToJsonString();
        _client.Notification += OnNotification;
    }

    public static Task<InstanceRunner> CreateAsync(DaemonProcess daemon, string script, string instance, CancellationToken cancellationToken) =>
        CreateAsync(daemon.SocketPath, script, instance, cancellationToken);

    /// <summary>A runner on the Unix socket at <paramref name="socketPath"/> (scriptexecd's, or the stack floor's).</summary>
    public static async Task<InstanceRunner> CreateAsync(string socketPath, string script, string instance, CancellationToken cancellationToken)
    {
        var client = await RpcClient.ConnectUnixAsync(socketPath, cancellationToken);
        var runner = new InstanceRunner(client, script, instance);
        await client.CallResultAsync("execution_subscribe", new JsonObject
        {
            ["filter"] = new JsonObject { ["instances"] = InstanceFilter(script, instance) },
        }, cancellationToken);
        return runner;
    }

    /// <summary>Defines <paramref name="script"/> and its manually started instances (admin over the Unix socket).</summary>
    public static Task DefineAsync(
        DaemonProcess daemon, string script, string source, IEnumerable<string> instances, CancellationToken cancellationToken) =>
        DefineAsync(daemon.SocketPath, script, source, instances, cancellationToken);

    /// <summary>The same, on the Unix socket at <paramref name="socketPath"/>.</summary>
    public static async Task DefineAsync(
        string socketPath, string script, string source, IEnumerable<string> instances, CancellationToken cancellationToken)
    {
        await using var client = await RpcClient.ConnectUnixAsync(socketPath, cancellationToken);
        await client.CallResultAsync("script_set", new JsonObject { ["name"] = script, ["source"] = source }, cancellationToken);
        foreach (var instance in instances)
        {
            await client.CallResultAsync("script_instance_set", new JsonObject
            {
                ["script_name"] = script,
                ["instance_name"] = instance,
                ["start_trigger"] = new JsonObject { ["type"] = "manual" },
            }, cancellationToken);
        }
    }

    /// <summary>One run, start to recorded end; returns the execution as script_execution_get shows it.</summary>
    public async Task<JsonElement> RunOnceAsync(CancellationToken cancellationToken)
    {
        var started = RpcClient.ParseResult(await _client.CallLineAsync("script_start", _startParams, cancellationToken));
        var id = started.GetProperty("execution").GetProperty("id").GetInt64();
        await Ended(id).Task.WaitAsync(EndTimeout, cancellationToken);
        _ended.TryRemove(id, out _);

        var newest = RpcClient.ParseResult(await _client.CallLineAsync("script_execution_get", _newestParams, cancellationToken));
        var execution = newest.GetProperty("executions").EnumerateArray().FirstOrDefault();
        if (execution.ValueKind != JsonValueKind.Object || execution.GetProperty("id").GetInt64() != id
            || execution.GetProperty("state").GetString() is not ("finished" or "killed"))
        {
            throw new InvalidDataException($"execution {id} was announced ended but script_execution_get shows {execution}");
        }

        return execution;
    }

    public async ValueTask DisposeAsync() => await _client.DisposeAsync();

    private static JsonArray InstanceFilter(string script, string instance) =>
        [new JsonObject { ["script_name"] = script, ["instance_names"] = new JsonArray(instance) }];

    private TaskCompletionSource Ended(long id) =>
        _ended.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    private void OnNotification(string method, JsonElement parameters)
    {
        if (method != "execution_changed" || !parameters.TryGetProperty("execution", out var execution))
        {
            return;
        }

        if (execution.GetProperty("state").GetString() is "finished" or "killed")
        {
            Ended(execution.GetProperty("id").GetInt64()).TrySetResult();
        }
    }
}
