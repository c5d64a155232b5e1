using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using ScriptExec.Core;
using ScriptExec.Core.Triggers;
using ScriptExec.Store;

namespace ScriptExec.Supervisor.Triggers;

/// <summary>
/// Starts and stops instances from their xpath and schedule triggers. Owns the state tree: every
/// <see cref="SetState"/> is applied, persisted and evaluated against the watching triggers under one lock, so
/// triggers see changes in the order they were made. Conditions are edge-triggered (false → true); their truth
/// is computed from the persisted tree at start-up, so a restart does not fire conditions already true.
/// </summary>
public sealed partial class TriggerEngine : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly ScriptStore _scripts;
    private readonly StateStore _stateStore;
    private readonly ExecutionSupervisor _supervisor;
    private readonly TimeProvider _time;
    private readonly ILogger<TriggerEngine> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private StateTree _tree = new();
    private List<Watch> _watches = [];
    private Dictionary<Watch, bool> _truth = [];
    private long _xpathFired;
    private long _scheduleFired;
    private long _scheduleSkipped;
    private int _disposed;

    public TriggerEngine(
        ScriptStore scripts, StateStore stateStore, ExecutionSupervisor supervisor, TimeProvider time, ILogger<TriggerEngine> logger)
    {
        _scripts = scripts;
        _stateStore = stateStore;
        _supervisor = supervisor;
        _time = time;
        _logger = logger;
    }

    /// <summary>Counters for status: fired triggers, and schedule ticks skipped because the instance was running.</summary>
    public TriggerCounts Counts => new(
        Interlocked.Read(ref _xpathFired), Interlocked.Read(ref _scheduleFired), Interlocked.Read(ref _scheduleSkipped));

    /// <summary>Loads the persisted tree and the instances' triggers; starts the schedules.</summary>
    public void Start()
    {
        lock (_lock)
        {
            _tree = StateTree.FromJson(_stateStore.Load());
        }

        Reload();
    }

    /// <summary>Re-reads every instance's triggers; call after an instance or script changed.</summary>
    public void Reload()
    {
        lock (_reloadLock)
        {
            ReloadTriggers();
        }
    }

    private void ReloadTriggers()
    {
        var instances = _scripts.ListInstances();
        lock (_lock)
        {
            var watches = new List<Watch>();
            foreach (var instance in instances)
            {
                if (instance.StartTrigger is { Type: TriggerType.Xpath, Setting: { } start })
                {
                    watches.Add(new Watch(instance.ScriptName, instance.InstanceName, false, XpathTrigger.Parse(start)));
                }

                if (instance.StopTrigger is { Type: TriggerType.Xpath, Setting: { } stop })
                {
                    watches.Add(new Watch(instance.ScriptName, instance.InstanceName, true, XpathTrigger.Parse(stop)));
                }
            }

            // A condition keeps its truth across reloads; a new one starts from the tree as it is now, so
            // configuring a trigger whose condition already holds does not fire it.
            _truth = watches.Where(w => w.Trigger.IsCondition).ToDictionary(
                w => w, w => _truth.TryGetValue(w, out var known) ? known : w.Trigger.Evaluate(_tree.Get(w.Trigger.Path)));
            _watches = watches;
        }

        RestartSchedules(instances);
    }

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
        var fired = new List<Watch>();
        lock (_lock)
        {
            var affected = _watches.Where(w => w.Trigger.Path.Overlaps(path)).ToList();
            var before = affected.Select(w => _tree.Get(w.Trigger.Path)?.DeepClone()).ToList();
            var previous = _tree.ToJson();
            _tree.Set(path, value?.DeepClone());
            try
            {
                _stateStore.Save(_tree.ToJson());
            }
            catch
            {
                _tree = StateTree.FromJson(previous);
                throw;
            }

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
        }

        foreach (var watch in fired)
        {
            Interlocked.Increment(ref _xpathFired);
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
            await _supervisor.StartAsync(script, instance, trigger, null, _stopping.Token);
            return true;
        }
        catch (ScriptExecException e) when (e.Kind == ErrorKind.AlreadyRunning)
        {
            // A start trigger that fires while the instance runs does nothing.
            return false;
        }
        catch (Exception e) when (e is ScriptExecException or InvalidParameterException or OperationCanceledException)
        {
            Log.TriggerFailed(_logger, script, instance, trigger.Setting ?? "", e.Message);
            return true;
        }
    }

    private async Task StopAsync(Watch watch)
    {
        try
        {
            await _supervisor.StopAsync(watch.Script, watch.Instance, new Trigger(TriggerType.Xpath, watch.Trigger.Setting), force: false, _stopping.Token);
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
