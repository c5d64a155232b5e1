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

    public SpawnedProcess? Process { get; set; }

    /// <summary>True when the process was started inside its own cgroup.</summary>
    public bool Confined { get; set; }

    public ExecutionState State { get; set; } = ExecutionState.Running;

    /// <summary>Set once the end record is committed; stops after that are refused with not_running.</summary>
    public bool Ended { get; set; }

    /// <summary>Held by the start sequence, every stop and the end record, so they never interleave.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Cancelled when the execution ends: cancels its timeout and its pending SIGKILL.</summary>
    public CancellationTokenSource Lifetime { get; } = new();

    public Task Monitor { get; set; } = Task.CompletedTask;

    /// <summary>Releases the process handles. The gate and lifetime stay usable: a late stop may still be waiting on them.</summary>
    public void Dispose() => Process?.Dispose();
}
