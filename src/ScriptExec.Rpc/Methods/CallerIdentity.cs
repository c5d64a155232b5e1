using ScriptExec.Core;

namespace ScriptExec.Rpc.Methods;

/// <summary>Who is calling and what they may do, as the transport established it: the peer's Unix user, or the WebSocket token's user.</summary>
public sealed record CallerIdentity(string UserName, string Transport, Role Role)
{
    public const string UnixTransport = "unix";
    public const string WebSocketTransport = "websocket";

    /// <summary>Throws forbidden (1004) unless the caller has at least <paramref name="required"/>.</summary>
    public void Require(Role required, string method)
    {
        if (Role < required)
        {
            throw new ScriptExecException(ErrorKind.Forbidden,
                $"{method} needs the {required.ToWire()} role; {UserName} has {Role.ToWire()}");
        }
    }
}
