using ScriptExec.Core;

namespace ScriptExec.Store;

/// <summary>An execution a previous daemon left running, with what is needed to find its processes.</summary>
public sealed record ActiveExecution(
    long Id, string ScriptName, string InstanceName, ExecutionState State, int? Pid, long? ProcStartTime, string? BootId, long StartTimestamp);
