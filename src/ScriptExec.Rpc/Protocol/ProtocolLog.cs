using Microsoft.Extensions.Logging;
using ScriptExec.Core;

namespace ScriptExec.Rpc.Protocol;

/// <summary>Every log message of the JSON-RPC protocol layer, source-generated.</summary>
internal static partial class ProtocolLog
{
    [LoggerMessage(LogEvents.Rpc.MethodFailed, LogLevel.Error, "RPC method {Method} failed unexpectedly; the caller was told only \"Internal error\"")]
    public static partial void MethodFailed(ILogger logger, string? method, Exception exception);

    [LoggerMessage(LogEvents.Rpc.MessageTooLarge, LogLevel.Warning, "Inbound message exceeds {MaxMessageBytes} bytes; closing the connection")]
    public static partial void MessageTooLarge(ILogger logger, int maxMessageBytes);

    [LoggerMessage(LogEvents.Rpc.ParseError, LogLevel.Debug, "Inbound message is not valid JSON; answered with a parse error")]
    public static partial void ParseError(ILogger logger);

    [LoggerMessage(LogEvents.Rpc.ConnectionEnded, LogLevel.Debug, "RPC connection ended: {Reason} {Description}")]
    public static partial void ConnectionEnded(ILogger logger, string reason, string description, Exception? exception);

    [LoggerMessage(LogEvents.Rpc.MessageTimedOut, LogLevel.Warning, "Inbound message not completed within {Seconds} s; closing the connection")]
    public static partial void MessageTimedOut(ILogger logger, double seconds);
}
