using Microsoft.Extensions.Logging;
using ScriptExec.Core;
using ScriptExec.Store;

namespace ScriptExec.Supervisor.Workflows;

/// <summary>What the overview shows of an instance's restart policy: when the pending restart is due, or that it gave up.</summary>
public sealed record RestartStatus(DateTimeOffset? NextStart, bool GaveUp);

/// <summary>
/// Restarts instances whose run ended by itself, as their restart policy says: after a delay doubling per
/// consecutive restart (on the injected clock), giving up after <see cref="RestartPolicy.MaxRestarts"/> restarts within
/// <see cref="RestartPolicy.WindowSeconds"/>. A stop (manual, xpath, system) never restarts; a pending restart is
/// cancelled by a stop, a disable, a change or delete of the instance. A run started otherwise than by a restart
/// begins the count afresh.
/// </summary>
public sealed class InstanceRestarts : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Script, string Instance), State> _states = [];
    private readonly ScriptStore _scripts;
    private readonly ExecutionSupervisor _supervisor;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<string, string, Trigger, Task> _start;
    private readonly CancellationTokenSource _disposed = new();

    // The instances as last read, so an end decides without reading its instance again; forgotten whenever the
    // catalog changes one (InstanceChanged). The version tells a read that raced such a change not to be kept.
    private readonly Dictionary<(string Script, string Instance), InstanceDefinition?> _instances = [];
    private long _instancesVersion;

    public InstanceRestarts(
        ScriptStore scripts, ExecutionSupervisor supervisor, TimeProvider time, ILogger logger, Func<string, string, Trigger, Task> start)
    {
        _scripts = scripts;
        _supervisor = supervisor;
        _time = time;
        _logger = logger;
        _start = start;
        supervisor.ExecutionChanged += OnExecutionChanged;
    }

    /// <summary>The instance's pending restart or give-up; null when it has neither.</summary>
    public RestartStatus? StatusOf(string scriptName, string instanceName)
    {
        lock (_lock)
        {
            return _states.TryGetValue((scriptName, instanceName), out var state) && (state.Pending is not null || state.GaveUp)
                ? new RestartStatus(state.Pending is null ? null : state.Due, state.GaveUp)
                : null;
        }
    }

    /// <summary>
    /// At daemon start: a restart that was pending when the previous daemon ended (or was killed) is decided again
    /// from the stored policy and each instance's newest run, so it is neither lost nor doubled. Runs a crash left
    /// running were recovered with a system stop trigger and are not restarted.
    /// </summary>
    /// <summary>Raised when an instance's restarts give up: its newest run, the restarts made within the window, the window (s).</summary>
    public event Action<Execution, int, int>? GaveUp;

    public void Resume(IEnumerable<Execution> newestRuns)
    {
        foreach (var execution in newestRuns)
        {
            Decide(execution, daemonStarting: true);
        }
    }

    /// <summary>
    /// The catalog changed the instance (set, enabled or disabled, deleted) or, with a null
    /// <paramref name="instanceName"/>, every instance of the script: the next decision reads it again.
    /// </summary>
    public void InstanceChanged(string scriptName, string? instanceName)
    {
        lock (_lock)
        {
            _instancesVersion++;
            foreach (var key in _instances.Keys.Where(k => k.Script == scriptName && (instanceName is null || k.Instance == instanceName)).ToList())
            {
                _instances.Remove(key);
            }
        }
    }

    /// <summary>Cancels a pending restart and forgets the count: the instance was stopped, disabled, changed or deleted.</summary>
    public void Cancel(string scriptName, string instanceName)
    {
        lock (_lock)
        {
            if (_states.Remove((scriptName, instanceName), out var state))
            {
                state.CancelPending();
            }
        }
    }

    /// <summary>Cancels every instance's pending restart (a script was deleted).</summary>
    public void CancelScript(string scriptName)
    {
        lock (_lock)
        {
            foreach (var key in _states.Keys.Where(k => k.Script == scriptName).ToList())
            {
                _states.Remove(key, out var state);
                state!.CancelPending();
            }
        }
    }

    public void Dispose()
    {
        _supervisor.ExecutionChanged -= OnExecutionChanged;
        _disposed.Cancel();
        lock (_lock)
        {
            foreach (var state in _states.Values)
            {
                state.CancelPending();
            }

            _states.Clear();
        }

        _disposed.Dispose();
    }

    private void OnExecutionChanged(Execution execution) => Decide(execution, daemonStarting: false);

    /// <summary>
    /// A run the daemon itself ended because it went away (shutdown, or recovery after a crash) was not stopped by
    /// anyone: at the next start an instance with a restart policy comes back, so a continuous script (@reboot with
    /// restart always) survives a daemon restart. Once: the reservation keeps it from running twice.
    /// </summary>
    private static bool EndedWithTheDaemon(Execution execution) =>
        execution.StopTrigger is { Type: TriggerType.System, Reason: Trigger.ShutdownCause or Trigger.RecoveryCause };

    private void Decide(Execution execution, bool daemonStarting)
    {
        if (execution.State is not (ExecutionState.Finished or ExecutionState.Killed) || _disposed.IsCancellationRequested)
        {
            return;
        }

        var instance = Instance(execution.ScriptName, execution.InstanceName);
        var key = (execution.ScriptName, execution.InstanceName);
        lock (_lock)
        {
            if (!_states.TryGetValue(key, out var state))
            {
                state = new State();
                _states[key] = state;
            }

            state.CancelPending();
            if (execution.StartTrigger.Type != TriggerType.Restart)
            {
                state.Consecutive = 0;
                state.Restarts.Clear();
                state.GaveUp = false;
            }

            if (instance is not { Enabled: true, Restart: { } policy }
                || !(policy.Applies(execution.State, execution.ExitCode, execution.StopTrigger) || daemonStarting && EndedWithTheDaemon(execution)))
            {
                _states.Remove(key);
                return;
            }

            var now = _time.GetUtcNow();
            state.Restarts.RemoveAll(t => t <= now - TimeSpan.FromSeconds(policy.WindowSeconds));
            if (state.Restarts.Count >= policy.MaxRestarts)
            {
                state.GaveUp = true;
                Log.RestartGaveUp(_logger, execution.ScriptName, execution.InstanceName, state.Restarts.Count, policy.WindowSeconds);

                // Listeners only enqueue (subscriptions), so raising it under the lock blocks nothing.
                GaveUp?.Invoke(execution, state.Restarts.Count, policy.WindowSeconds);
                return;
            }

            state.Consecutive++;
            var delay = policy.DelayBefore(state.Consecutive);
            state.Restarts.Add(now);
            state.Due = now + delay;
            state.Pending = CancellationTokenSource.CreateLinkedTokenSource(_disposed.Token);
            Log.RestartScheduled(_logger, execution.ScriptName, execution.InstanceName, execution.Id, delay.TotalSeconds, state.Consecutive);

            // Registered now, before the end is visible to anyone who would step a clock or stop the instance.
            _ = RestartAfterAsync(key, state, execution.Id, Task.Delay(delay, _time, state.Pending.Token));
        }
    }

    private async Task RestartAfterAsync((string Script, string Instance) key, State state, long previousId, Task delay)
    {
        try
        {
            await delay;
        }
        catch (OperationCanceledException)
        {
            return;
        }

        lock (_lock)
        {
            // Cancelled or superseded between the timer and here.
            if (!_states.TryGetValue(key, out var current) || current != state || state.Pending is null)
            {
                return;
            }

            state.Pending.Dispose();
            state.Pending = null;
        }

        var trigger = new Trigger(TriggerType.Restart, previousId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            await _start(key.Script, key.Instance, trigger);
        }
        catch (Exception e) when (e is ScriptExecException or InvalidParameterException or OperationCanceledException)
        {
            // Already running again (started by hand meanwhile), disabled or deleted: nothing to restart.
            Log.RestartFailed(_logger, key.Script, key.Instance, e.Message);
        }
    }

    private InstanceDefinition? Instance(string scriptName, string instanceName)
    {
        var key = (scriptName, instanceName);
        long version;
        lock (_lock)
        {
            if (_instances.TryGetValue(key, out var known))
            {
                return known;
            }

            version = _instancesVersion;
        }

        InstanceDefinition? read;
        try
        {
            read = _scripts.GetInstance(scriptName, instanceName);
        }
        catch (ScriptExecException)
        {
            // Stored but not loadable: decided as missing, and read again next time (it may be set meanwhile).
            return null;
        }

        lock (_lock)
        {
            if (version == _instancesVersion)
            {
                _instances[key] = read;
            }
        }

        return read;
    }

    private sealed class State
    {
        public int Consecutive { get; set; }

        /// <summary>When each restart within the window was decided.</summary>
        public List<DateTimeOffset> Restarts { get; } = [];

        public bool GaveUp { get; set; }

        public CancellationTokenSource? Pending { get; set; }

        public DateTimeOffset Due { get; set; }

        public void CancelPending()
        {
            Pending?.Cancel();
            Pending?.Dispose();
            Pending = null;
        }
    }
}
