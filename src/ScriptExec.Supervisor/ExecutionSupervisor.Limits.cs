using System.Collections.Concurrent;
using ScriptExec.Core;
using ScriptExec.Supervisor.Runtime;

namespace ScriptExec.Supervisor;

/// <summary>
/// Controller limits (memory_mb, pids, cpu_percent) this machine cannot enforce. They are accepted, because a stored
/// configuration may outlive the machine's cgroup layout, but never silently: <c>script_instance_get</c> lists them
/// (<see cref="UnenforcedLimits"/>) and the log says so once per instance and limit set.
/// </summary>
public sealed partial class ExecutionSupervisor
{
    private readonly ConcurrentDictionary<(string Script, string Instance, string Limits), byte> _unenforcedLogged = new();

    /// <summary>
    /// The wire names of the limits a run of <paramref name="instance"/> would get (its own and the daemon defaults it
    /// inherits) that nothing here can enforce; empty when all can be.
    /// </summary>
    public IReadOnlyList<string> UnenforcedLimits(InstanceDefinition instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var limits = ResourceLimits.Resolve(instance.Limits, _options.DefaultLimits, workdirQuotaMb: null);
        return [.. _reaper.Controllers.Unenforceable(limits).Select(LimitKinds.WireName)];
    }

    private void WarnUnenforceable(InstanceDefinition instance, ResourceLimits limits)
    {
        var missing = _reaper.Controllers.Unenforceable(limits);
        if (missing.Count == 0)
        {
            return;
        }

        var names = string.Join(", ", missing.Select(LimitKinds.WireName));
        if (_unenforcedLogged.TryAdd((instance.ScriptName, instance.InstanceName, names), 0))
        {
            Log.LimitUnenforceable(_logger, instance.ScriptName, instance.InstanceName, names, ControllerSummary());
        }
    }

    private void WarnUnenforceableDefaults()
    {
        var missing = _reaper.Controllers.Unenforceable(_options.DefaultLimits);
        if (missing.Count > 0)
        {
            Log.DefaultLimitUnenforceable(_logger, string.Join(", ", missing.Select(LimitKinds.WireName)), ControllerSummary());
        }
    }

    private string ControllerSummary() =>
        Confinement.Controllers.Count == 0 ? "no usable controller" : "usable: " + string.Join(", ", Confinement.Controllers);
}
