using Microsoft.Extensions.Logging;
using ScriptExec.Rpc.Methods;
using ScriptExec.Rpc.Protocol;

namespace ScriptExec.Rpc.Sessions;

/// <summary>
/// Serves one client connection, whatever its transport: the front layer and StreamJsonRpc (<see cref="RpcConnection"/>),
/// the methods for its caller with their roles checked before dispatch, and its subscriptions.
/// </summary>
public static class ClientSession
{
    public static async Task RunAsync(
        RpcBackend backend, IMessageTransport transport, CallerIdentity caller, ILogger logger, CancellationToken cancellationToken)
    {
        using var counted = backend.Server.Connected(caller.Transport);
        using var subscriptions = new ExecutionSubscriptions(backend.Supervisor.Dispatcher, backend.Control.Restarts);
        var methods = new RpcMethods(backend, caller, subscriptions);
        await using var connection = new RpcConnection(
            transport, methods, typeof(RpcMethods), logger, MethodRoles.Names, gate: MethodRoles.GateFor(() => methods.Caller, backend.Supervisor.Tokens));
        subscriptions.Attach(connection.Rpc);
        await connection.RunAsync(cancellationToken);
    }
}
