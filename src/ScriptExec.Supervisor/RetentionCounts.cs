namespace ScriptExec.Supervisor;

/// <summary>What retention has pruned since the daemon started.</summary>
public sealed record RetentionCounts(long PrunedExecutions, long PrunedOutputLines, long? LastRunTimestamp);
