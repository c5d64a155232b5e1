using System.Text.Json;
using ScriptExec.Core;
using ScriptExec.Store;
using ScriptExec.Supervisor;
using ScriptExec.Supervisor.Triggers;
using StreamJsonRpc;

namespace ScriptExec.Rpc.Methods;

/// <summary>The daemon's shared components, handed to every connection's <see cref="ScriptExecApi"/>.</summary>
public sealed record ScriptExecServices(
    SqliteDatabase Database,
    ScriptStore Scripts,
    ExecutionStore Executions,
    OutputStore Output,
    ExecutionSupervisor Supervisor,
    TriggerEngine Triggers,
    ExecutionRetention Retention,
    RpcServerInfo Server,
    UnloadableRows Unloadable);

/// <summary>
/// The JSON-RPC methods, one instance per connection (it knows its caller). Every method takes one by-name params
/// object; wire names are exactly SPEC.md's. Split by concern into partial files.
/// </summary>
public sealed partial class ScriptExecApi
{
    private readonly ScriptExecServices _services;
    private readonly ExecutionSubscriptions _subscriptions;

    public ScriptExecApi(ScriptExecServices services, CallerIdentity caller, ExecutionSubscriptions subscriptions)
    {
        _services = services;
        _subscriptions = subscriptions;
        Caller = caller;
    }

    public CallerIdentity Caller { get; }

    private ScriptStore Scripts => _services.Scripts;

    private ExecutionStore Executions => _services.Executions;

    private ExecutionSupervisor Supervisor => _services.Supervisor;

    [JsonRpcMethod("status", UseSingleObjectParameterDeserialization = true)]
    public StatusResult Status(JsonElement @params)
    {
        Caller.Require(Role.Viewer, "status");
        var p = ParamsReader.Of(@params);
        var filter = p.OptionalObject("filter");
        var instances = filter is null ? null : ExecutionFilterReader.ReadInstances(filter);
        filter?.End();
        p.End();

        var counts = instances is null ? Supervisor.Statistics.Current : Executions.Aggregate(instances);

        // The store's condition (with the ends pending) before the running list: a run counted as pending has ended,
        // so it cannot also be listed as running.
        var store = StoreStatus.From(_services.Database, Supervisor, _services.Unloadable);
        var running = Supervisor.Running().Where(r => instances is null
            || instances.Any(i => i.ScriptName == r.ScriptName && (i.InstanceNames is null || i.InstanceNames.Contains(r.InstanceName))));
        var server = _services.Server;
        var options = Supervisor.Options;
        return new StatusResult(
            server.Version,
            Environment.ProcessId,
            server.StartedAt.ToUnixTimeSeconds(),
            (long)server.Uptime.TotalSeconds,
            store,
            ExecutionCountsDto.From(counts),
            [.. running.Select(e => new RunningDto(e.Id, e.ScriptName, e.InstanceName, e.State.ToWire(), e.Pid, e.StartTimestamp))],
            new ClientCounts(server.UnixClients, server.WebSocketClients),
            new LimitsDto(options.MaxConcurrentExecutions, server.MaxMessageBytes, options.OutputMaxBytesPerExecution, options.OutputLineCapBytes),
            DurationStats.From(counts),
            _services.Triggers.Counts,
            RetentionStatus.From(_services.Retention));
    }

    [JsonRpcMethod("script_overview_get", UseSingleObjectParameterDeserialization = true)]
    public OverviewResult ScriptOverviewGet(JsonElement @params)
    {
        Caller.Require(Role.Viewer, "script_overview_get");
        ParamsReader.Of(@params).End();
        return new OverviewResult(Overview());
    }

    private List<ScriptOverviewDto> Overview()
    {
        var scripts = Scripts.ListScripts();
        var instances = Scripts.ListInstances().ToLookup(i => i.ScriptName);
        var last = Executions.LastOf(instances.SelectMany(g => g).Select(i => (i.ScriptName, i.InstanceName)));
        return [.. scripts.Select(s => new ScriptOverviewDto(
            s.Name,
            s.Version,
            s.Description,
            [.. instances[s.Name].Select(i => new InstanceOverviewDto(
                i.InstanceName,
                TriggerDto.From(i.StartTrigger),
                i.StopTrigger is { } stop ? TriggerDto.From(stop) : null,
                last.TryGetValue((i.ScriptName, i.InstanceName), out var e) ? ExecutionDto.From(e) : null))]))];
    }
}
