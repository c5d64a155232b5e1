using ScriptExec.Rpc.Sessions;

namespace ScriptExec.Rpc.Results;

/// <summary>Params of the execution_changed notification.</summary>
public sealed record ExecutionChangedNotification(long SubscriptionId, ExecutionDto Execution, long? Dropped);

/// <summary>Params of the execution_dropped notification: sent when the queue has drained after an overflow.</summary>
public sealed record ExecutionDroppedNotification(long SubscriptionId, long Dropped);

/// <summary>Params of the execution_output notification.</summary>
public sealed record ExecutionOutputNotification(long SubscriptionId, long ExecutionId, SharedLinesJson Lines, long? Dropped);
