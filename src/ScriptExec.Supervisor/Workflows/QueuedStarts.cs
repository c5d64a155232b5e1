using Microsoft.Extensions.Logging;
using ScriptExec.Core;

namespace ScriptExec.Supervisor.Workflows;

/// <summary>
/// <c>overlap: queue</c>: a start trigger that fires while its instance runs is kept, at most one per instance, and
/// started when the run ends. Further triggers meanwhile are skipped (and counted as such by the caller).
/// </summary>
public sealed class QueuedStarts : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Script, string Instance), Trigger> _queued = [];
    private readonly ExecutionSupervisor _supervisor;
    private readonly ILogger _logger;
    private readonly Func<string, string, Trigger, Task> _start;

    public QueuedStarts(ExecutionSupervisor supervisor, ILogger logger, Func<string, string, Trigger, Task> start)
    {
        _supervisor = supervisor;
        _logger = logger;
        _start = start;
        supervisor.ExecutionChanged += OnExecutionChanged;
    }

    /// <summary>Keeps <paramref name="trigger"/> for when the running instance ends; false when one is already kept.</summary>
    public bool TryQueue(string scriptName, string instanceName, Trigger trigger)
    {
        var key = (scriptName, instanceName);
        lock (_lock)
        {
            if (!_queued.TryAdd(key, trigger))
            {
                return false;
            }
        }

        Log.StartQueued(_logger, scriptName, instanceName, trigger.Setting ?? trigger.Type.ToWire());

        // The run may have ended between the refused start and the queueing: its end will not come again.
        if (!_supervisor.IsReserved(scriptName, instanceName))
        {
            StartQueued(key);
        }

        return true;
    }

    /// <summary>Forgets the instance's queued start (stopped, disabled, changed or deleted).</summary>
    public void Cancel(string scriptName, string instanceName)
    {
        lock (_lock)
        {
            _queued.Remove((scriptName, instanceName));
        }
    }

    public void Dispose()
    {
        _supervisor.ExecutionChanged -= OnExecutionChanged;
        lock (_lock)
        {
            _queued.Clear();
        }
    }

    private void OnExecutionChanged(Execution execution)
    {
        if (execution.State is ExecutionState.Finished or ExecutionState.Killed)
        {
            StartQueued((execution.ScriptName, execution.InstanceName));
        }
    }

    private void StartQueued((string Script, string Instance) key)
    {
        Trigger? trigger;
        lock (_lock)
        {
            _queued.Remove(key, out trigger);
        }

        if (trigger is not null)
        {
            _ = StartAsync(key, trigger);
        }
    }

    private async Task StartAsync((string Script, string Instance) key, Trigger trigger)
    {
        try
        {
            await _start(key.Script, key.Instance, trigger);
        }
        catch (Exception e) when (e is ScriptExecException or InvalidParameterException or OperationCanceledException)
        {
            Log.TriggerFailed(_logger, key.Script, key.Instance, trigger.Setting ?? trigger.Type.ToWire(), e.Message);
        }
    }
}
