using ScriptExec.Core;
using ScriptExec.Store;

namespace ScriptExec.Supervisor.Workflows;

/// <summary>The scripts, their instances and each instance's newest execution, as the overview shows them.</summary>
public sealed record OverviewSnapshot(
    IReadOnlyList<ScriptDefinition> Scripts,
    ILookup<string, InstanceDefinition> Instances,
    IReadOnlyDictionary<(string Script, string Instance), Execution> Last);

/// <summary>
/// The overview every start and stop reply carries, kept in memory: read from the store once, then the newest
/// execution of each instance follows the supervisor's changes, and a catalog change or a prune (which may remove
/// an instance's newest execution) has it read again. So a run's reply costs no query beyond the start's own read.
/// </summary>
public sealed class CatalogOverview
{
    private readonly Lock _lock = new();
    private readonly ScriptStore _scripts;
    private readonly ExecutionStore _executions;

    private long _catalogVersion;
    private Catalog? _catalog;

    // Filled from the changes as they come from the moment a load begins; complete once the load merged into it.
    private Dictionary<(string Script, string Instance), Execution>? _last;
    private bool _lastComplete;
    private long _lastPruned;

    public CatalogOverview(ScriptStore scripts, ExecutionStore executions, ExecutionSupervisor supervisor)
    {
        _scripts = scripts;
        _executions = executions;
        supervisor.ExecutionChanged += OnExecutionChanged;
    }

    /// <summary>A script or instance was set or deleted (committed): the next overview reads the catalog again.</summary>
    public void CatalogChanged()
    {
        lock (_lock)
        {
            _catalogVersion++;
            _catalog = null;
            _last = null;
        }
    }

    /// <summary>The overview; <paramref name="prunedExecutions"/> is the retention's count so far (a change reloads).</summary>
    public OverviewSnapshot Get(long prunedExecutions)
    {
        long version;
        Dictionary<(string Script, string Instance), Execution> collecting;
        lock (_lock)
        {
            if (_catalog is { } known && known.Version == _catalogVersion && _last is { } last && _lastComplete && _lastPruned == prunedExecutions)
            {
                return new OverviewSnapshot(known.Scripts, known.Instances, new Dictionary<(string, string), Execution>(last));
            }

            version = _catalogVersion;
            collecting = [];
            _last = collecting;
            _lastComplete = false;
            _lastPruned = prunedExecutions;
        }

        var scripts = _scripts.ListScripts();
        var instances = _scripts.ListInstances().ToLookup(i => i.ScriptName);
        var stored = _executions.LastOf(instances.SelectMany(g => g).Select(i => (i.ScriptName, i.InstanceName)));
        lock (_lock)
        {
            // A change that came while the store was read is newer than what was read: it stays.
            foreach (var (key, execution) in stored)
            {
                if (!collecting.TryGetValue(key, out var changed) || !Supersedes(changed, execution))
                {
                    collecting[key] = execution;
                }
            }

            var snapshot = new OverviewSnapshot(scripts, instances, new Dictionary<(string, string), Execution>(collecting));
            if (version == _catalogVersion && ReferenceEquals(_last, collecting))
            {
                _catalog = new Catalog(version, scripts, instances);
                _lastComplete = true;
            }

            return snapshot;
        }
    }

    /// <summary>
    /// True when <paramref name="newer"/> is at least as new as <paramref name="other"/>: a later execution, or the
    /// same one not moving back from ended to active (a start's change may be raised after its quick end's).
    /// </summary>
    private static bool Supersedes(Execution newer, Execution other) =>
        newer.Id > other.Id || (newer.Id == other.Id && !(newer.State.IsActive() && !other.State.IsActive()));

    private void OnExecutionChanged(Execution execution)
    {
        lock (_lock)
        {
            if (_last is not { } last)
            {
                return;
            }

            var key = (execution.ScriptName, execution.InstanceName);
            if (!last.TryGetValue(key, out var known) || Supersedes(execution, known))
            {
                last[key] = execution;
            }
        }
    }

    private sealed record Catalog(long Version, IReadOnlyList<ScriptDefinition> Scripts, ILookup<string, InstanceDefinition> Instances);
}
