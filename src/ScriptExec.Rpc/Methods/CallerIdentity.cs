namespace ScriptExec.Rpc.Methods;

/// <summary>Who is calling, as the transport established it: the peer's Unix user, or the WebSocket token's user.</summary>
public sealed record CallerIdentity(string UserName, string Transport)
{
    public const string UnixTransport = "unix";
    public const string WebSocketTransport = "websocket";
}
