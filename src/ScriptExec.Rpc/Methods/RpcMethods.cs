using ScriptExec.Core;
using ScriptExec.Rpc.Results;
using ScriptExec.Rpc.Sessions;
using ScriptExec.Store;
using ScriptExec.Supervisor;

namespace ScriptExec.Rpc.Methods;

/// <summary>
/// The JSON-RPC methods, one instance per connection (it knows its caller). Each method reads its by-name params
/// object (wire names exactly as in docs/API.md), calls a workflow (<see cref="RpcBackend.Control"/>,
/// <see cref="RpcBackend.Catalog"/>) or a store query, and maps the outcome to its result type in
/// <c>Results/</c>. The role each needs is declared beside it with <see cref="RequiresRoleAttribute"/> and checked
/// before dispatch (<see cref="MethodRoles"/>). Split by concern into partial files.
/// </summary>
public sealed partial class RpcMethods
{
    private readonly RpcBackend _backend;
    private readonly ExecutionSubscriptions _subscriptions;

    public RpcMethods(RpcBackend backend, CallerIdentity caller, ExecutionSubscriptions subscriptions)
    {
        _backend = backend;
        _subscriptions = subscriptions;
        Caller = caller;
    }

    /// <summary>Who calls on this connection; <c>authenticate</c> with a run's token changes it.</summary>
    public CallerIdentity Caller { get; private set; }

    private ScriptStore Scripts => _backend.Scripts;

    private ExecutionStore Executions => _backend.Executions;

    private ExecutionSupervisor Supervisor => _backend.Supervisor;

    private Supervisor.Workflows.InstanceRestarts Restarts => _backend.Control.Restarts;

    /// <summary>RipEX2's overview: every script with its instances and each instance's last execution.</summary>
    private List<ScriptOverviewDto> Overview()
    {
        // From memory: it is in every start and stop reply.
        var (scripts, instances, last) = _backend.Catalog.Overview.Get(_backend.Retention.Counts.PrunedExecutions);
        return [.. scripts.Select(s => new ScriptOverviewDto(
            s.Name,
            s.Version,
            s.Description,
            [.. instances[s.Name].Select(i => InstanceOverview(i, last))]))];
    }

    private InstanceOverviewDto InstanceOverview(InstanceDefinition i, IReadOnlyDictionary<(string Script, string Instance), Execution> last)
    {
        var restart = Restarts.StatusOf(i.ScriptName, i.InstanceName);
        return new InstanceOverviewDto(
            i.InstanceName,
            TriggerDto.From(i.StartTrigger),
            i.StopTrigger is { } stop ? TriggerDto.From(stop) : null,
            last.TryGetValue((i.ScriptName, i.InstanceName), out var e) ? ExecutionDto.From(e) : null,
            Supervisor.Workdirs?.SizeBytes(i.ScriptName, i.InstanceName, running: Supervisor.IsReserved(i.ScriptName, i.InstanceName)) ?? 0,
            i.Enabled,
            restart?.NextStart?.ToUnixTimeSeconds(),
            restart?.GaveUp == true ? true : null);
    }
}
