namespace ScriptExec.Core;

/// <summary>One run of a script instance, as recorded in the store.</summary>
public sealed record Execution
{
    public required long Id { get; init; }

    public required string ScriptName { get; init; }

    public required string InstanceName { get; init; }

    /// <summary>The content hash of the script source this execution ran.</summary>
    public required string ScriptVersion { get; init; }

    /// <summary>Unix seconds.</summary>
    public required long StartTimestamp { get; init; }

    public required Trigger StartTrigger { get; init; }

    public required ExecutionState State { get; init; }

    public string? Arguments { get; init; }

    /// <summary>Milliseconds on the monotonic clock; set exactly when the state is finished or killed.</summary>
    public long? DurationMs { get; init; }

    /// <summary>Exit status (0–255) or the negative signal number; absent for recovered runs of unknown fate.</summary>
    public int? ExitCode { get; init; }

    public Trigger? StopTrigger { get; init; }

    /// <summary>Set while the process may be alive (running, terminating).</summary>
    public int? Pid { get; init; }

    public bool IsOutdated { get; init; }

    public bool OutputTruncated { get; init; }

    /// <summary>Lines the daemon-wide output budget dropped (stored as marker lines instead); counted live while running.</summary>
    public long OutputDroppedLines { get; init; }
}
