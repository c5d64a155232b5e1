using ScriptExec.Rpc.Sessions;

namespace ScriptExec.Rpc.Results;

/// <summary>Params of the execution_changed notification.</summary>
public sealed record ExecutionChangedNotification(long SubscriptionId, ExecutionDto Execution, long? Dropped);

/// <summary>Params of the execution_dropped notification: sent when the queue has drained after an overflow.</summary>
public sealed record ExecutionDroppedNotification(long SubscriptionId, long Dropped);

/// <summary>Params of the execution_output notification.</summary>
public sealed record ExecutionOutputNotification(long SubscriptionId, long ExecutionId, SharedLinesJson Lines, long? Dropped);

/// <summary>
/// Params of the instance_restart_gave_up notification: the instance's restart policy made <c>restarts</c> restarts
/// within <c>window_s</c> and stops trying; <c>execution_id</c> is its newest run.
/// </summary>
public sealed record RestartGaveUpNotification(
    long SubscriptionId, string ScriptName, string InstanceName, long ExecutionId, int Restarts, int WindowS, long? Dropped);
