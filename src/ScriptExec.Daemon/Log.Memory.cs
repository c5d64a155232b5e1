namespace ScriptExec.Daemon;

/// <content>Log messages of memory upkeep (event ids 40-44).</content>
internal static partial class Log
{
    [LoggerMessage(40, LogLevel.Debug, "Quiet after a burst: heap trimmed from {BeforeMiB} MiB to {AfterMiB} MiB committed")]
    public static partial void MemoryTrimmed(ILogger logger, long beforeMiB, long afterMiB);
}
