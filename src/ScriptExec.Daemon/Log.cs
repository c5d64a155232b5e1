using ScriptExec.Core;

namespace ScriptExec.Daemon;

/// <summary>Every log message of the host, source-generated.</summary>
internal static partial class Log
{
    [LoggerMessage(LogEvents.Daemon.Ready, LogLevel.Information, "scriptexecd {Version} ready: unix socket {Socket}, websocket {WebSocket}, data dir {DataDir}, admin token in {TokenPath}")]
    public static partial void Ready(ILogger logger, string version, string socket, string webSocket, string dataDir, string tokenPath);

    [LoggerMessage(LogEvents.Daemon.PeerUnknown, LogLevel.Warning, "Unix socket connection {ConnectionId}: peer credentials unavailable; closed")]
    public static partial void PeerUnknown(ILogger logger, string connectionId);

    [LoggerMessage(LogEvents.Daemon.OriginRefused, LogLevel.Warning, "WebSocket upgrade refused: foreign Origin {Origin}")]
    public static partial void OriginRefused(ILogger logger, string origin);

    [LoggerMessage(LogEvents.Daemon.TokenRefused, LogLevel.Warning, "WebSocket upgrade refused: missing or invalid token from {Remote}")]
    public static partial void TokenRefused(ILogger logger, string remote);

    [LoggerMessage(LogEvents.Daemon.Recovered, LogLevel.Warning, "Recovered {Count} executions left running by a previous daemon")]
    public static partial void Recovered(ILogger logger, int count);

    [LoggerMessage(LogEvents.Daemon.ShuttingDown, LogLevel.Information, "Shutting down: stopping running executions")]
    public static partial void ShuttingDown(ILogger logger);

    [LoggerMessage(LogEvents.Daemon.TriggersUnavailable, LogLevel.Error, "Triggers could not be loaded from the store ({Reason}); serving without them")]
    public static partial void TriggersUnavailable(ILogger logger, string reason);

    [LoggerMessage(LogEvents.Daemon.BrowserLoginAccepted, LogLevel.Debug, "WebSocket from Origin {Origin} accepted without a token: it may only authenticate, within {Seconds} s")]
    public static partial void BrowserLoginAccepted(ILogger logger, string origin, int seconds);
}
