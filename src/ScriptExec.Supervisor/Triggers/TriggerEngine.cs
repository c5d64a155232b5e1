using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using ScriptExec.Core;
using ScriptExec.Core.Triggers;
using ScriptExec.Store;
using ScriptExec.Supervisor.Processes;
using ScriptExec.Supervisor.Workflows;

namespace ScriptExec.Supervisor.Triggers;

/// <summary>
/// Starts and stops instances from their xpath and scheduler triggers. Owns the state tree: every
/// <see cref="SetState"/> is applied, persisted and evaluated against the watching triggers under one lock, so
/// triggers see changes in the order they were made. Conditions are edge-triggered (false → true); their truth
/// is computed from the persisted tree at start-up, so a restart does not fire conditions already true.
/// </summary>
public sealed partial class TriggerEngine : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly ScriptStore _scripts;
    private readonly StateStore _stateStore;
    private readonly UnloadableRows _unloadable;
    private readonly ExecutionControl _control;
    private readonly RebootStore _reboots;
    private readonly BootIdSource _bootIds;
    private readonly TimeProvider _time;
    private readonly ILogger<TriggerEngine> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private StateTree _tree = new();
    private (string Original, string Reason)? _pendingQuarantine;
    private List<Watch> _watches = [];
    private Dictionary<Watch, bool> _truth = [];
    private long _xpathFired;
    private long _scheduleFired;
    private long _scheduleSkipped;
    private int _disposed;

    public TriggerEngine(
        ScriptStore scripts,
        StateStore stateStore,
        UnloadableRows unloadable,
        ExecutionControl control,
        RebootStore reboots,
        BootIdSource bootIds,
        TimeProvider time,
        ILogger<TriggerEngine> logger)
    {
        _scripts = scripts;
        _stateStore = stateStore;
        _unloadable = unloadable;
        _control = control;
        _reboots = reboots;
        _bootIds = bootIds;
        _time = time;
        _logger = logger;
    }

    /// <summary>Counters for status: fired triggers, and schedule ticks skipped because the instance was running.</summary>
    /// <summary>Fires and skips by trigger type and reason, for metrics.</summary>
    public TriggerTally Tally { get; } = new();

    public TriggerCounts Counts => new(
        Interlocked.Read(ref _xpathFired), Interlocked.Read(ref _scheduleFired), Interlocked.Read(ref _scheduleSkipped));

    /// <summary>
    /// Loads the persisted tree and the instances' triggers; starts the schedules. Whatever cannot be loaded is
    /// skipped and reported (<see cref="UnloadableRows"/>): nothing stored may stop the daemon from starting.
    /// </summary>
    public void Start()
    {
        lock (_lock)
        {
            _tree = LoadTree();
        }

        _control.Supervisor.Outcomes = this;
        lock (_reloadLock)
        {
            ReloadTriggers(atStartup: true);
        }

        CatchUpMissedTicks();
        ResumeRestarts();
    }

    private StateTree LoadTree()
    {
        var stored = _stateStore.Load();
        var tree = StateTree.Load(stored, out var problems);
        if (problems.Count == 0)
        {
            return tree;
        }

        foreach (var problem in problems)
        {
            _unloadable.Report("state_tree", problem.Xpath, problem.Reason);
        }

        // The loadable part replaces the stored one only together with a kept copy of the original, so the next
        // state_set cannot silently lose what was set aside.
        _pendingQuarantine = (stored!, string.Join("; ", problems.Select(p => $"{p.Xpath}: {p.Reason}")));
        try
        {
            SaveTree(tree.ToJson());
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException)
        {
            // Not a reason to stay down: the original stays stored, and the first state_set quarantines it instead.
            Log.StateTreeQuarantineFailed(_logger, e.Message);
        }

        return tree;
    }

    /// <summary>Stores the document; the first time after a partial load, together with a kept copy of the original.</summary>
    private void SaveTree(string document)
    {
        if (_pendingQuarantine is not { } pending)
        {
            _stateStore.Save(document);
            return;
        }

        var id = _stateStore.Quarantine(pending.Original, document, pending.Reason, _time.GetUtcNow().ToUnixTimeSeconds());
        _pendingQuarantine = null;
        Log.StateTreeQuarantined(_logger, id);
    }

    /// <summary>Re-reads every instance's triggers; call after an instance or script changed.</summary>
    public void Reload()
    {
        lock (_reloadLock)
        {
            ReloadTriggers(atStartup: false);
        }
    }

    private void ReloadTriggers(bool atStartup)
    {
        var instances = _scripts.ListInstances();
        var broken = new HashSet<InstanceDefinition>(ReferenceEqualityComparer.Instance);
        lock (_lock)
        {
            var watches = new List<Watch>();
            foreach (var instance in instances)
            {
                if (WatchesOf(instance) is { } found)
                {
                    // A disabled instance's triggers do not fire; enabled again, its conditions start from the tree as it is then.
                    if (instance.Enabled)
                    {
                        watches.AddRange(found);
                    }
                }
                else
                {
                    broken.Add(instance);
                }
            }

            // A condition keeps its truth across reloads; a new one starts from the tree as it is now, so
            // configuring a trigger whose condition already holds does not fire it.
            _truth = watches.Where(w => w.Trigger.IsCondition).ToDictionary(
                w => w, w => _truth.TryGetValue(w, out var known) ? known : w.Trigger.Evaluate(_tree.Get(w.Trigger.Path)));
            _watches = watches;
        }

        RestartSchedules([.. instances.Where(i => !broken.Contains(i) && i.Enabled)], atStartup);
    }

    /// <summary>
    /// The xpath watches of one instance; null when a stored setting no longer parses (written by another version,
    /// or by hand), which is reported instead of failing every other instance's triggers.
    /// </summary>
    private List<Watch>? WatchesOf(InstanceDefinition instance)
    {
        var key = instance.ScriptName + "/" + instance.InstanceName;
        var watches = new List<Watch>();
        try
        {
            if (instance.StartTrigger is { Type: TriggerType.Xpath, Setting: { } start })
            {
                watches.Add(new Watch(instance.ScriptName, instance.InstanceName, false, XpathTrigger.Parse(start)));
            }

            if (instance.StartTrigger is { Type: TriggerType.Schedule } schedule && !IsReboot(schedule.Setting))
            {
                ParseSchedule(schedule.Setting ?? throw new FormatException("a scheduler trigger needs a setting"));
            }

            if (instance.StopTrigger is { Type: TriggerType.Xpath, Setting: { } stop })
            {
                watches.Add(new Watch(instance.ScriptName, instance.InstanceName, true, XpathTrigger.Parse(stop)));
            }
        }
        catch (FormatException e)
        {
            _unloadable.Report(TriggerKind, key, e.Message);
            return null;
        }

        _unloadable.Clear(TriggerKind, key);
        return watches;
    }

    private const string TriggerKind = "instance_trigger";

    /// <summary>A copy of the node at <paramref name="path"/>, or null.</summary>
    public JsonNode? GetState(StatePath path)
    {
        lock (_lock)
        {
            return _tree.Get(path)?.DeepClone();
        }
    }

    /// <summary>Sets (or, with null, deletes) a node, persists the tree, and fires the triggers the change satisfies.</summary>
    public void SetState(StatePath path, JsonNode? value)
    {
        List<Watch> fired;
        lock (_lock)
        {
            var previous = _tree.ToJson();
            var previousTruth = new Dictionary<Watch, bool>(_truth);
            fired = ApplyLocked(path, value?.DeepClone());
            try
            {
                var document = _tree.ToJson();
                if (value is not null && StateTree.ByteCount(document) is var size && size > StateTree.MaxDocumentBytes)
                {
                    // Every change rewrites the whole document: its size bounds the cost of each state_set.
                    throw new InvalidParameterException(
                        "value", $"would grow the state tree to {size} bytes, over its limit of {StateTree.MaxDocumentBytes} bytes");
                }

                SaveTree(document);
            }
            catch
            {
                _tree = StateTree.FromJson(previous);
                _truth = previousTruth;
                throw;
            }
        }

        Fire(fired);
    }

    /// <summary>Changes the tree in memory (under <see cref="_lock"/>) and returns the watches the change fires.</summary>
    private List<Watch> ApplyLocked(StatePath path, JsonNode? value)
    {
        var fired = new List<Watch>();
        var affected = _watches.Where(w => w.Trigger.Path.Overlaps(path)).ToList();
        var before = affected.Select(w => _tree.Get(w.Trigger.Path)?.DeepClone()).ToList();
        _tree.Set(path, value);
        for (var i = 0; i < affected.Count; i++)
        {
            var watch = affected[i];
            var now = _tree.Get(watch.Trigger.Path);
            if (!watch.Trigger.IsCondition)
            {
                if (!JsonNode.DeepEquals(before[i], now))
                {
                    fired.Add(watch);
                }

                continue;
            }

            var truth = watch.Trigger.Evaluate(now);
            if (truth && !_truth.GetValueOrDefault(watch))
            {
                fired.Add(watch);
            }

            _truth[watch] = truth;
        }

        return fired;
    }

    private void Fire(List<Watch> fired)
    {
        foreach (var watch in fired)
        {
            Interlocked.Increment(ref _xpathFired);
            Tally.Fired(TriggerType.Xpath);
            _ = watch.IsStop ? StopAsync(watch) : StartAsync(watch.Script, watch.Instance, new Trigger(TriggerType.Xpath, watch.Trigger.Setting));
        }
    }

    /// <summary>Stops the schedules and pending trigger actions; safe to call more than once (host and container both do).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync();
        StopSchedules();
    }

    private async Task<bool> StartAsync(string script, string instance, Trigger trigger)
    {
        try
        {
            await _control.StartAsync(script, instance, trigger, null, _stopping.Token);
            return true;
        }
        catch (ScriptExecException e) when (e.Kind == ErrorKind.AlreadyRunning)
        {
            // A start trigger that fires while the instance runs does nothing, unless its overlap policy queues it.
            var queued = OverlapOf(script, instance) == OverlapPolicy.Queue && _control.Queued.TryQueue(script, instance, trigger);
            if (!queued)
            {
                Tally.Skipped(trigger.Type, TriggerSkipReason.Overlap);
            }

            return queued;
        }
        catch (Exception e) when (e is ScriptExecException or InvalidParameterException or OperationCanceledException)
        {
            Log.TriggerFailed(_logger, script, instance, trigger.Setting ?? "", e.Message);
            Tally.Skipped(trigger.Type, TriggerSkipReason.Failed);
            return true;
        }
    }

    private OverlapPolicy OverlapOf(string script, string instance)
    {
        try
        {
            return _scripts.GetInstance(script, instance)?.Overlap ?? OverlapPolicy.Skip;
        }
        catch (ScriptExecException)
        {
            return OverlapPolicy.Skip;
        }
    }

    private async Task StopAsync(Watch watch)
    {
        try
        {
            await _control.StopAsync(watch.Script, watch.Instance, new Trigger(TriggerType.Xpath, watch.Trigger.Setting), force: false, _stopping.Token);
        }
        catch (ScriptExecException e) when (e.Kind is ErrorKind.NotRunning or ErrorKind.NotFound)
        {
            // A stop condition met while the instance is not running has nothing to stop.
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One xpath trigger of one instance; records compare by value so truths survive reloads.</summary>
    private sealed record Watch(string Script, string Instance, bool IsStop, XpathTrigger Trigger)
    {
        public bool Equals(Watch? other) =>
            other is not null && Script == other.Script && Instance == other.Instance && IsStop == other.IsStop
            && Trigger.Setting == other.Trigger.Setting;

        public override int GetHashCode() => HashCode.Combine(Script, Instance, IsStop, Trigger.Setting);
    }
}

/// <summary>How often triggers fired, and schedule ticks skipped because their instance was still running.</summary>
public sealed record TriggerCounts(long XpathFired, long ScheduleFired, long ScheduleSkipped);
