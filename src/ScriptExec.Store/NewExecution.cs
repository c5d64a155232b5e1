using ScriptExec.Core;

namespace ScriptExec.Store;

/// <summary>What is recorded when an execution starts.</summary>
public sealed record NewExecution(
    string ScriptName,
    string InstanceName,
    string ScriptVersion,
    long StartTimestamp,
    Trigger StartTrigger,
    string? Arguments);

/// <summary>
/// The process of an execution as its start record stores it: enough to recognise it after a daemon crash
/// (the pid may be reused; its start time in /proc and the boot id tell).
/// </summary>
public sealed record StartedProcess(int Pid, long ProcStartTime, string? BootId);
