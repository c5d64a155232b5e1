using ScriptExec.Core;

namespace ScriptExec.Daemon;

/// <content>Log messages of memory upkeep.</content>
internal static partial class Log
{
    [LoggerMessage(LogEvents.Daemon.MemoryTrimmed, LogLevel.Debug, "Quiet after a burst: memory trimmed from {BeforeMiB} MiB to {AfterMiB} MiB resident, {UnmappedKiB} KiB of the binary unmapped")]
    public static partial void MemoryTrimmed(ILogger logger, long beforeMiB, long afterMiB, long unmappedKiB);

    [LoggerMessage(LogEvents.Daemon.StartupMemoryReturned, LogLevel.Debug, "Ready: what start-up allocated returned, {BeforeMiB} MiB to {AfterMiB} MiB resident, {UnmappedKiB} KiB of the binary unmapped")]
    public static partial void StartupMemoryReturned(ILogger logger, long beforeMiB, long afterMiB, long unmappedKiB);
}
