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
