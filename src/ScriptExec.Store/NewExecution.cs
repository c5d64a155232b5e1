using ScriptExec.Core;

namespace ScriptExec.Store;

/// <summary>What is recorded when an execution starts, before its process is spawned.</summary>
public sealed record NewExecution(
    string ScriptName,
    string InstanceName,
    string ScriptVersion,
    long StartTimestamp,
    Trigger StartTrigger,
    string? Arguments);

/// <summary>How an execution ended.</summary>
public sealed record ExecutionEnd(
    ExecutionState State,
    int? ExitCode,
    long DurationMs,
    Trigger? StopTrigger,
    bool OutputTruncated,
    long EndTimestamp,
    long OutputBytes = 0);

/// <summary>An execution a previous daemon left running, with what is needed to find its processes.</summary>
public sealed record ActiveExecution(
    long Id, string ScriptName, string InstanceName, ExecutionState State, int? Pid, long? ProcStartTime, string? BootId, long StartTimestamp);
