using ScriptExec.Core;

namespace ScriptExec.Rpc.Methods;

/// <summary>Who is calling and what they may do, as the transport established it: the peer's Unix user, or the WebSocket token's user.</summary>
/// <remarks>What each method requires is declared on it (<see cref="RequiresRoleAttribute"/>) and checked before dispatch.</remarks>
public sealed record CallerIdentity(string UserName, string Transport, Role Role)
{
    public const string UnixTransport = "unix";
    public const string WebSocketTransport = "websocket";
}
