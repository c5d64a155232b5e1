using Microsoft.Extensions.Logging;
using ScriptExec.Rpc.Protocol;

namespace ScriptExec.Rpc.Methods;

/// <summary>Serves one client connection, whatever its transport: the API for its caller, plus its subscriptions.</summary>
public static class ScriptExecConnection
{
    private static readonly IReadOnlySet<string> MethodNames = RpcConnection.MethodNamesOf(typeof(ScriptExecApi));

    public static async Task RunAsync(
        ScriptExecServices services, IMessageTransport transport, CallerIdentity caller, ILogger logger, CancellationToken cancellationToken)
    {
        using var counted = services.Server.Connected(caller.Transport);
        using var subscriptions = new ExecutionSubscriptions(services.Supervisor.Dispatcher);
        await using var connection = new RpcConnection(transport, new ScriptExecApi(services, caller, subscriptions), logger, MethodNames);
        subscriptions.Attach(connection.Rpc);
        await connection.RunAsync(cancellationToken);
    }
}
