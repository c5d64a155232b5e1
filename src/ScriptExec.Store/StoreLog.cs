using Microsoft.Extensions.Logging;

namespace ScriptExec.Store;

/// <summary>Every log message of the store, source-generated (event ids 201-219).</summary>
internal static partial class StoreLog
{
    [LoggerMessage(201, LogLevel.Warning, "Store unavailable ({Condition}): writes are refused with 1007 until it is writable again. {Detail}")]
    public static partial void Unavailable(ILogger logger, string condition, string detail);

    [LoggerMessage(202, LogLevel.Information, "Store available again after {Seconds:0.#} s: {RefusedWrites} writes were refused and {LostLines} output lines lost meanwhile")]
    public static partial void AvailableAgain(ILogger logger, double seconds, long refusedWrites, long lostLines);

    [LoggerMessage(203, LogLevel.Warning, "Output lines are being lost: the store refused them ({Condition}); the executions concerned end with output_truncated true")]
    public static partial void OutputLost(ILogger logger, string condition);

    [LoggerMessage(204, LogLevel.Warning, "Storage full: released the {Bytes}-byte reserve {Path} so that end and stop records can still be stored")]
    public static partial void ReserveReleased(ILogger logger, long bytes, string path);

    [LoggerMessage(205, LogLevel.Information, "Storage has room again: the {Bytes}-byte reserve is allocated and writes are accepted")]
    public static partial void ReserveRestored(ILogger logger, long bytes);

    [LoggerMessage(206, LogLevel.Warning, "No {Bytes}-byte storage reserve at {Path}: the file system has not that much room; allocated once it has")]
    public static partial void ReserveMissing(ILogger logger, long bytes, string path);

    [LoggerMessage(207, LogLevel.Warning, "Checkpoint at close failed; the write-ahead log is kept and folded in at the next start")]
    public static partial void CheckpointFailed(ILogger logger, Exception exception);
}
