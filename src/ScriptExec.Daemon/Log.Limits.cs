using ScriptExec.Core;

namespace ScriptExec.Daemon;

/// <content>Log messages of the connection and message limits.</content>
internal static partial class Log
{
    [LoggerMessage(LogEvents.Daemon.ConnectionRefused, LogLevel.Warning, "{Transport} connection refused: {MaxConnections} connections are open (max_connections, or what the open-file limit allows)")]
    public static partial void ConnectionRefused(ILogger logger, string transport, int maxConnections);

    [LoggerMessage(LogEvents.Daemon.DescriptorBudget, LogLevel.Information, "Open-file limit {Limit}: {InUse} descriptors open at start, {Reserve} kept in reserve; at most {ConnectionCap} client connections at once")]
    public static partial void DescriptorBudget(ILogger logger, long limit, int inUse, int reserve, int connectionCap);
}
