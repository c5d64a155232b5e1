namespace ScriptExec.Rpc.Protocol;

/// <summary>What a client hears when the server will not take its connection at all.</summary>
public static class ConnectionRefusal
{
    /// <summary>The stable <c>error.data.reason</c> of a refusal for lack of room.</summary>
    public const string CapacityReason = "capacity";

    /// <summary>
    /// Builds the one message sent to a connection over the server's connection limit, before it is closed: a
    /// <c>-32603</c> error with <c>id: null</c> (no request caused it) and reason <c>capacity</c>.
    /// </summary>
    public static byte[] TooManyConnections(int maxConnections) =>
        ErrorReplies.Create(
            rawId: default,
            RpcErrorCodes.InternalError,
            $"Too many connections: the server serves at most {maxConnections} at once; try again later",
            new RpcErrorData(Field: null, CapacityReason));
}
