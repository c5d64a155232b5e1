namespace ScriptExec.Store;

/// <summary>Counts by state and duration statistics of finished runs.</summary>
public sealed record ExecutionCounts(
    long Running,
    long Terminating,
    long Finished,
    long Killed,
    long FinishedExitZero,
    long FinishedExitNonZero,
    long DurationCount,
    double DurationAverageMs,
    long? DurationMinMs,
    long? DurationMaxMs)
{
    public static readonly ExecutionCounts Empty = new(0, 0, 0, 0, 0, 0, 0, 0, null, null);

    public long Total => Running + Terminating + Finished + Killed;
}
