namespace ScriptExec.Daemon;

/// <content>Log messages of the connection and message limits (event ids 20-29).</content>
internal static partial class Log
{
    [LoggerMessage(20, LogLevel.Warning, "{Transport} connection refused: {MaxConnections} connections are open (max_connections)")]
    public static partial void ConnectionRefused(ILogger logger, string transport, int maxConnections);
}
