using ScriptExec.Core;
using ScriptExec.Supervisor.Processes;

namespace ScriptExec.Supervisor;

/// <summary>The supervisor's handle on one live execution. Its gate orders start, stops and the final record.</summary>
internal sealed class RunningExecution : IDisposable
{
    public RunningExecution(string scriptName, string instanceName, int stopGraceSeconds)
    {
        ScriptName = scriptName;
        InstanceName = instanceName;
        StopGraceSeconds = stopGraceSeconds;
    }

    public string ScriptName { get; }

    public string InstanceName { get; }

    public int StopGraceSeconds { get; }

    public long Id { get; set; }

    public long StartTimestamp { get; set; }

    /// <summary>
    /// The execution as its start record stored it: replies and notifications are built from it and what follows in
    /// memory, never read back. Null for an end a recovery left pending (nothing of it is in memory).
    /// </summary>
    public Execution? Started { get; set; }

    /// <summary>Set when the script got another version while this ran (the store marked the row outdated).</summary>
    public bool Outdated { get; set; }

    public SpawnedProcess? Process { get; set; }

    /// <summary>True when the process was started inside its own cgroup.</summary>
    public bool Confined { get; set; }

    public ExecutionState State { get; set; } = ExecutionState.Running;

    /// <summary>Set once the outcome is known (the process is gone); stops after that are refused with not_running.</summary>
    public bool Ended { get; set; }

    /// <summary>The first stop's trigger, kept in memory so the end record carries it even if terminating was never stored.</summary>
    public Trigger? StopTrigger { get; set; }

    /// <summary>The state the store holds (running or terminating), from which the statistics move at the end.</summary>
    public ExecutionState StoredState { get; set; } = ExecutionState.Running;

    /// <summary>The outcome once known; kept until it is stored, however long the store refuses it.</summary>
    public Store.ExecutionEnd? PendingEnd { get; set; }

    /// <summary>Set when the store refused the end record once: from then on replies show the end as known in memory.</summary>
    public bool EndDeferred { get; set; }

    /// <summary>
    /// Set, under the supervisor's reservation lock, just before the end record commits; completed once the commit
    /// succeeded (the instance is released) or failed (reset to null: the instance stays reserved).
    /// </summary>
    public TaskCompletionSource? EndCommit { get; set; }

    /// <summary>Set when the end record is committed; from then on the store is the truth about this execution.</summary>
    public bool Recorded { get; set; }

    /// <summary>Held by the start sequence, every stop and the end record, so they never interleave.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Cancelled when the execution ends: cancels its timeout and its pending SIGKILL.</summary>
    public CancellationTokenSource Lifetime { get; } = new();

    public Task Monitor { get; set; } = Task.CompletedTask;

    /// <summary>Releases the process handles. The gate and lifetime stay usable: a late stop may still be waiting on them.</summary>
    public void Dispose() => Process?.Dispose();
}
