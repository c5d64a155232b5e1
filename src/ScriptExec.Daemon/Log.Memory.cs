using ScriptExec.Core;

namespace ScriptExec.Daemon;

/// <content>Log messages of memory upkeep.</content>
internal static partial class Log
{
    [LoggerMessage(LogEvents.Daemon.MemoryTrimmed, LogLevel.Debug, "Quiet after a burst: heap trimmed from {BeforeMiB} MiB to {AfterMiB} MiB committed")]
    public static partial void MemoryTrimmed(ILogger logger, long beforeMiB, long afterMiB);
}
