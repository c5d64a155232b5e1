using ScriptExec.Core;

namespace ScriptExec.Daemon;

/// <content>The fleet channels: MQTT and the outbound WebSocket.</content>
internal static partial class Log
{
    [LoggerMessage(LogEvents.Fleet.MqttConnected, LogLevel.Information, "MQTT: connected to {Broker} as device {DeviceId} (role {Role}); serving {Topics}")]
    public static partial void MqttConnected(ILogger logger, string broker, string deviceId, string role, string topics);

    [LoggerMessage(LogEvents.Fleet.MqttConnectFailed, LogLevel.Warning, "MQTT: cannot connect to {Broker}: {Reason}; retrying in {DelayMs} ms")]
    public static partial void MqttConnectFailed(ILogger logger, string broker, string reason, long delayMs);

    [LoggerMessage(LogEvents.Fleet.MqttDisconnected, LogLevel.Warning, "MQTT: connection to {Broker} lost: {Reason}; reconnecting in {DelayMs} ms")]
    public static partial void MqttDisconnected(ILogger logger, string broker, string reason, long delayMs);

    [LoggerMessage(LogEvents.Fleet.MqttDropped, LogLevel.Warning, "MQTT: outgoing queue full ({Queued} messages); dropping the oldest ({Dropped} dropped since start)")]
    public static partial void MqttDropped(ILogger logger, int queued, long dropped);

    [LoggerMessage(LogEvents.Fleet.MqttNoReplyTarget, LogLevel.Debug, "MQTT: a request on {Topic} has neither a response topic nor a src: its replies are not sent")]
    public static partial void MqttNoReplyTarget(ILogger logger, string topic);

    [LoggerMessage(LogEvents.Fleet.MqttExchangeFailed, LogLevel.Error, "MQTT: serving a request on {Topic} failed")]
    public static partial void MqttExchangeFailed(ILogger logger, string topic, Exception exception);

    [LoggerMessage(LogEvents.Fleet.MqttPublishFailed, LogLevel.Warning, "MQTT: the broker refused a message to {Topic} ({Reason}); it is dropped")]
    public static partial void MqttPublishFailed(ILogger logger, string topic, string reason);

    [LoggerMessage(LogEvents.Fleet.MqttEventsFailed, LogLevel.Error, "MQTT: the events subscription ended")]
    public static partial void MqttEventsFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogEvents.Fleet.MqttStopped, LogLevel.Information, "MQTT: offline published and disconnected from {Broker}")]
    public static partial void MqttStopped(ILogger logger, string broker);

    [LoggerMessage(LogEvents.Fleet.OutboundConnected, LogLevel.Information, "Outbound WebSocket: connected to {Url} (role {Role})")]
    public static partial void OutboundConnected(ILogger logger, string url, string role);

    [LoggerMessage(LogEvents.Fleet.OutboundConnectFailed, LogLevel.Warning, "Outbound WebSocket: cannot connect to {Url}: {Reason}; retrying in {DelayMs} ms")]
    public static partial void OutboundConnectFailed(ILogger logger, string url, string reason, long delayMs);

    [LoggerMessage(LogEvents.Fleet.OutboundDisconnected, LogLevel.Warning, "Outbound WebSocket: connection to {Url} ended; reconnecting in {DelayMs} ms")]
    public static partial void OutboundDisconnected(ILogger logger, string url, long delayMs);
}
