using System.Text.Json;
using System.Text.Json.Nodes;
using ScriptExec.Cli.Connection;

namespace ScriptExec.Cli.Commands;

/// <summary>
/// Waits for an execution to end. Subscribes to its instance's state changes before the start is requested, so
/// the end cannot slip by; falls back to polling when the daemon has no <c>execution_subscribe</c>.
/// </summary>
internal sealed class ExecutionWaiter
{
    /// <summary>How often to look at the execution when no notification arrives: a safety net for a dropped end event.</summary>
    private static readonly TimeSpan RecheckInterval = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    private readonly DaemonClient _client;
    private readonly bool _subscribed;

    private ExecutionWaiter(DaemonClient client, bool subscribed)
    {
        _client = client;
        _subscribed = subscribed;
    }

    /// <summary>Subscribes to the changes of one instance (output not included).</summary>
    public static async Task<ExecutionWaiter> SubscribeAsync(DaemonClient client, string script, string instance, bool output, CancellationToken cancellationToken)
    {
        try
        {
            await client.CallAsync("execution_subscribe", SubscriptionParams(script, instance, output), cancellationToken);
            return new ExecutionWaiter(client, subscribed: true);
        }
        catch (RpcErrorException e) when (e.Code == RpcErrorException.MethodNotFound)
        {
            return new ExecutionWaiter(client, subscribed: false);
        }
    }

    /// <summary>The filter that selects exactly one instance; outdated included, as editing the script must not hide the run we follow.</summary>
    public static JsonObject SubscriptionParams(string script, string instance, bool output) => new()
    {
        ["filter"] = new JsonObject
        {
            ["instances"] = new JsonArray(new JsonObject { ["script_name"] = script, ["instance_names"] = new JsonArray(instance) }),
            ["include_outdated"] = true,
        },
        ["output"] = output,
    };

    /// <summary>
    /// Reads one execution (and no lines) by id. The API has no "get execution by id"; output_get with no streams
    /// is the cheapest call that returns one.
    /// </summary>
    public static async Task<ExecutionRecord> GetAsync(DaemonClient client, long id, CancellationToken cancellationToken)
    {
        var page = await client.CallAsync("script_execution_output_get", new JsonObject
        {
            ["filter"] = new JsonObject { ["execution_id"] = id, ["streams"] = new JsonArray() },
            ["pagination"] = new JsonObject { ["limit"] = 1 },
        }, cancellationToken);
        return ExecutionRecord.From(page, "script_execution_output_get");
    }

    public async Task<ExecutionRecord> WaitForEndAsync(long id, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (!_subscribed)
            {
                var polled = await GetAsync(_client, id, cancellationToken);
                if (polled.Execution.HasEnded)
                {
                    return polled;
                }

                await Task.Delay(PollInterval, cancellationToken);
                continue;
            }

            var notification = await _client.NextNotificationAsync(RecheckInterval, cancellationToken);
            if (notification is { Method: "execution_changed" })
            {
                var changed = ReplyReader.Read(notification.Params, CliJsonContext.Default.WireExecutionChanged, "execution_changed");
                if (changed.Execution.Id == id && changed.Execution.HasEnded)
                {
                    return ExecutionRecord.From(notification.Params, "execution_changed");
                }

                if (changed.Dropped is null)
                {
                    continue;
                }
            }

            // Quiet for a while, or events were dropped: the end itself may be among them, so look.
            var current = await GetAsync(_client, id, cancellationToken);
            if (current.Execution.HasEnded)
            {
                return current;
            }
        }
    }

    /// <summary>A shell's view of how it ended: the exit status, or 128 + the signal number.</summary>
    public static int ExitStatusOf(WireExecution execution) => execution switch
    {
        { State: "finished", ExitCode: { } code } => code,
        { State: "killed", ExitCode: { } signal } when signal < 0 => 128 - signal,

        // Killed with no known signal: only recovery after a daemon crash does that, and it uses SIGKILL.
        _ => 128 + 9,
    };
}

/// <summary>An execution as the CLI reads it, and as the daemon sent it (for <c>--json</c>: nothing lost).</summary>
internal sealed record ExecutionRecord(WireExecution Execution, JsonElement Raw)
{
    /// <summary>Reads the <c>execution</c> member of a result or notification.</summary>
    public static ExecutionRecord From(JsonElement container, string what) =>
        container.ValueKind == JsonValueKind.Object && container.TryGetProperty("execution", out var raw)
            ? new ExecutionRecord(ReplyReader.Read(raw, CliJsonContext.Default.WireExecution, what), raw)
            : throw new ProtocolException($"{what}: no execution in the result");
}
