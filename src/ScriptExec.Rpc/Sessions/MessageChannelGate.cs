using ScriptExec.Rpc.Protocol;

namespace ScriptExec.Rpc.Sessions;

/// <summary>
/// The gate of one exchange on a message channel: the caller's roles as on a connection, and no method that only
/// makes sense for a connection that lasts (its effect would end with the exchange that set it up).
/// </summary>
public sealed class MessageChannelGate(string transport, IMethodGate roles) : IMethodGate
{
    /// <summary>Methods whose effect is state of the connection: a subscription, or the caller an authentication makes.</summary>
    public static readonly IReadOnlySet<string> ConnectionStateMethods = new HashSet<string>(StringComparer.Ordinal)
    {
        "authenticate",
        "execution_subscribe",
        "execution_unsubscribe",
    };

    public MethodRefusal? Check(string method) =>
        ConnectionStateMethods.Contains(method)
            ? new MethodRefusal(
                RpcErrorCodes.MethodNotFound,
                $"{method} is not available over {transport}: each message is its own exchange, with no connection to hold its state "
                    + "(the channel has its configured role, and publishes the notifications of its configured events filter)",
                new RpcErrorData(Field: null, "not_available"))
            : roles.Check(method);
}
