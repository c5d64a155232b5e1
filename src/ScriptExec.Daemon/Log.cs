namespace ScriptExec.Daemon;

/// <summary>Every log message of the host, source-generated.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "scriptexecd {Version} ready: unix socket {Socket}, websocket {WebSocket}, data dir {DataDir}, admin token in {TokenPath}")]
    public static partial void Ready(ILogger logger, string version, string socket, string webSocket, string dataDir, string tokenPath);

    [LoggerMessage(2, LogLevel.Warning, "Unix socket connection {ConnectionId}: peer credentials unavailable; closed")]
    public static partial void PeerUnknown(ILogger logger, string connectionId);

    [LoggerMessage(3, LogLevel.Warning, "WebSocket upgrade refused: foreign Origin {Origin}")]
    public static partial void OriginRefused(ILogger logger, string origin);

    [LoggerMessage(4, LogLevel.Warning, "WebSocket upgrade refused: missing or invalid token from {Remote}")]
    public static partial void TokenRefused(ILogger logger, string remote);

    [LoggerMessage(5, LogLevel.Warning, "Recovered {Count} executions left running by a previous daemon")]
    public static partial void Recovered(ILogger logger, int count);

    [LoggerMessage(6, LogLevel.Information, "Shutting down: stopping running executions")]
    public static partial void ShuttingDown(ILogger logger);

    [LoggerMessage(7, LogLevel.Error, "Triggers could not be loaded from the store ({Reason}); serving without them")]
    public static partial void TriggersUnavailable(ILogger logger, string reason);
}
