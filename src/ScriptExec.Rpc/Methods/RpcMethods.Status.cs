using System.Text.Json;
using ScriptExec.Core;
using ScriptExec.Rpc.Results;
using StreamJsonRpc;

namespace ScriptExec.Rpc.Methods;

/// <summary>The daemon's health and the overview of scripts and instances.</summary>
public sealed partial class RpcMethods
{
    [JsonRpcMethod("status", UseSingleObjectParameterDeserialization = true)]
    [RequiresRole(Role.Viewer)]
    public StatusResult Status(JsonElement @params)
    {
        var p = ParamsReader.Of(@params);
        var filter = p.OptionalObject("filter");
        var instances = filter is null ? null : ExecutionFilterReader.ReadInstances(filter);
        filter?.End();
        p.End();

        var counts = instances is null ? Supervisor.Statistics.Current : Executions.Aggregate(instances);

        // The store's condition (with the ends pending) before the running list: a run counted as pending has ended,
        // so it cannot also be listed as running.
        var store = StoreStatus.From(_backend.Database, Supervisor, _backend.Unloadable);
        var running = Supervisor.Running().Where(r => instances is null
            || instances.Any(i => i.ScriptName == r.ScriptName && (i.InstanceNames is null || i.InstanceNames.Contains(r.InstanceName))));
        var server = _backend.Server;
        var options = Supervisor.Options;
        return new StatusResult(
            server.Version,
            Environment.ProcessId,
            server.StartedAt.ToUnixTimeSeconds(),
            (long)server.Uptime.TotalSeconds,
            store,
            ExecutionCountsDto.From(counts),
            [.. running.Select(e => new RunningDto(e.Id, e.ScriptName, e.InstanceName, e.State.ToWire(), e.Pid, e.StartTimestamp))],
            new ClientCounts(server.UnixClients, server.WebSocketClients, server.MqttClients, server.OutboundWebSocketClients),
            new LimitsDto(options.MaxConcurrentExecutions, server.MaxMessageBytes, options.OutputMaxBytesPerExecution, options.OutputLineCapBytes),
            DurationStats.From(counts),
            _backend.Triggers.Counts,
            RetentionStatus.From(_backend.Retention),
            ConfinementStatus.From(Supervisor.Confinement),
            BudgetStatus.From(Supervisor.OutputBudget))
        {
            Channels = server.Channels() is { Count: > 0 } channels ? channels : null,
        };
    }

    [JsonRpcMethod("script_overview_get", UseSingleObjectParameterDeserialization = true)]
    [RequiresRole(Role.Viewer)]
    public OverviewResult ScriptOverviewGet(JsonElement @params)
    {
        ParamsReader.Of(@params).End();
        return new OverviewResult(Overview());
    }
}
