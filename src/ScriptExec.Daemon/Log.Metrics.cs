using ScriptExec.Core;

namespace ScriptExec.Daemon;

internal static partial class Log
{
    [LoggerMessage(LogEvents.Daemon.MetricsServed, LogLevel.Information, "Prometheus metrics served at {Url} (bearer token of any role)")]
    public static partial void MetricsServed(ILogger logger, string url);

    [LoggerMessage(LogEvents.Daemon.MetricsTokenRefused, LogLevel.Warning, "GET /metrics refused: missing or invalid token from {Remote}")]
    public static partial void MetricsTokenRefused(ILogger logger, string remote);
}
