using ScriptExec.Core;

namespace ScriptExec.Store;

/// <summary>How an execution ended.</summary>
public sealed record ExecutionEnd(
    ExecutionState State,
    int? ExitCode,
    long DurationMs,
    Trigger? StopTrigger,
    bool OutputTruncated,
    long EndTimestamp,
    long OutputBytes = 0,
    long OutputDroppedLines = 0);
