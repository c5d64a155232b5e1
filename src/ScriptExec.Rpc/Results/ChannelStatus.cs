namespace ScriptExec.Rpc.Results;

/// <summary>
/// One fleet channel in <c>status</c>: where it connects, whether it is connected now, and what its outgoing queue
/// holds and dropped (while disconnected, replies and notifications wait in a bounded queue; overflow is counted).
/// </summary>
/// <param name="Transport"><c>mqtt</c> or <c>outbound_websocket</c>.</param>
/// <param name="Url">The broker or management server URL, without credentials.</param>
/// <param name="Role">The channel's configured role.</param>
/// <param name="DeviceId">MQTT: the device id in its topics.</param>
/// <param name="Connects">Successful connections since start (reconnects are the ones after the first).</param>
/// <param name="ConnectedTimestamp">When the current connection was made; omitted while disconnected.</param>
/// <param name="LastError">Why the last connection attempt failed or the last connection ended, if one did.</param>
/// <param name="QueuedMessages">MQTT: messages waiting to be published.</param>
/// <param name="DroppedMessages">MQTT: messages dropped since start because the queue was full.</param>
public sealed record ChannelStatus(
    string Transport,
    string Url,
    string Role,
    string? DeviceId,
    bool Connected,
    long Connects,
    long? ConnectedTimestamp,
    string? LastError,
    int? QueuedMessages,
    long? DroppedMessages);
