using Microsoft.Extensions.Logging;
using ScriptExec.Core;

namespace ScriptExec.Store;

/// <summary>Every log message of the store, source-generated; event ids in <see cref="LogEvents.Store"/>.</summary>
internal static partial class Log
{
    [LoggerMessage(LogEvents.Store.Unavailable, LogLevel.Warning, "Store unavailable ({Condition}): writes are refused with 1007 until it is writable again. {Detail}")]
    public static partial void Unavailable(ILogger logger, string condition, string detail);

    [LoggerMessage(LogEvents.Store.AvailableAgain, LogLevel.Information, "Store available again after {Seconds:0.#} s: {RefusedWrites} writes were refused and {LostLines} output lines lost meanwhile")]
    public static partial void AvailableAgain(ILogger logger, double seconds, long refusedWrites, long lostLines);

    [LoggerMessage(LogEvents.Store.OutputLost, LogLevel.Warning, "Output lines are being lost: the store refused them ({Condition}); the executions concerned end with output_truncated true")]
    public static partial void OutputLost(ILogger logger, string condition);

    [LoggerMessage(LogEvents.Store.ReserveReleased, LogLevel.Warning, "Storage full: released the {Bytes}-byte reserve {Path} so that end and stop records can still be stored")]
    public static partial void ReserveReleased(ILogger logger, long bytes, string path);

    [LoggerMessage(LogEvents.Store.ReserveRestored, LogLevel.Information, "Storage has room again: the {Bytes}-byte reserve is allocated and writes are accepted")]
    public static partial void ReserveRestored(ILogger logger, long bytes);

    [LoggerMessage(LogEvents.Store.ReserveMissing, LogLevel.Warning, "No {Bytes}-byte storage reserve at {Path}: the file system has not that much room; allocated once it has")]
    public static partial void ReserveMissing(ILogger logger, long bytes, string path);

    [LoggerMessage(LogEvents.Store.CheckpointFailed, LogLevel.Warning, "Checkpoint at close failed; the write-ahead log is kept and folded in at the next start")]
    public static partial void CheckpointFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogEvents.Store.RowUnloadable, LogLevel.Warning, "Stored {Kind} {Key} cannot be loaded and is skipped: {Reason}")]
    public static partial void RowUnloadable(ILogger logger, string kind, string key, string reason);
}
