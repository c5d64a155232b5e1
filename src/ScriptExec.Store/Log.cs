using Microsoft.Extensions.Logging;

namespace ScriptExec.Store;

/// <summary>Every log message of the store, source-generated (event ids 30-39: loading stored rows).</summary>
internal static partial class Log
{
    [LoggerMessage(30, LogLevel.Warning, "Stored {Kind} {Key} cannot be loaded and is skipped: {Reason}")]
    public static partial void RowUnloadable(ILogger logger, string kind, string key, string reason);
}
