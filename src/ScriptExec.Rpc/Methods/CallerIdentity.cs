using ScriptExec.Core;
using ScriptExec.Supervisor.Runtime;

namespace ScriptExec.Rpc.Methods;

/// <summary>Who is calling and what they may do, as the transport established it: the peer's Unix user, or the WebSocket token's user.</summary>
/// <remarks>What each method requires is declared on it (<see cref="RequiresRoleAttribute"/>) and checked before dispatch.</remarks>
public sealed record CallerIdentity(string UserName, string Transport, Role Role)
{
    /// <summary>Set when a run's token authenticated the caller: its rights end with that run.</summary>
    public RunTokenGrant? RunToken { get; init; }

    /// <summary>The caller a run's token makes of a connection.</summary>
    public static CallerIdentity ForRun(RunTokenGrant grant, string transport) =>
        new(grant.UserName, transport, grant.Role) { RunToken = grant };

    public const string UnixTransport = "unix";
    public const string WebSocketTransport = "websocket";
    public const string MqttTransport = "mqtt";
    public const string OutboundWebSocketTransport = "outbound_websocket";
}
