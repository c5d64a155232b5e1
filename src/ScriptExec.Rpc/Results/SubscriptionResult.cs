namespace ScriptExec.Rpc.Results;

public sealed record SubscriptionResult(long SubscriptionId);
