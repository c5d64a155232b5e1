using Microsoft.Extensions.Logging;
using ScriptExec.Core;
using ScriptExec.Rpc.Methods;
using ScriptExec.Rpc.Protocol;

namespace ScriptExec.Rpc.Sessions;

/// <summary>
/// Serves one client connection, whatever its transport: the front layer and StreamJsonRpc (<see cref="RpcConnection"/>),
/// the methods for its caller with their roles checked before dispatch, and its subscriptions.
/// </summary>
public static partial class ClientSession
{
    /// <param name="authenticateWithin">
    /// For a connection accepted without credentials (a browser's WebSocket, which logs in with <c>authenticate</c>):
    /// closed when it still has no role after this long, so unauthenticated connections cannot pile up.
    /// </param>
    public static async Task RunAsync(
        RpcBackend backend,
        IMessageTransport transport,
        CallerIdentity caller,
        ILogger logger,
        CancellationToken cancellationToken,
        TimeSpan? authenticateWithin = null)
    {
        using var counted = backend.Server.Connected(caller.Transport);
        using var subscriptions = new ExecutionSubscriptions(backend.Supervisor.Dispatcher, backend.Control.Restarts);
        var methods = new RpcMethods(backend, caller, subscriptions);
        using var session = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var deadline = authenticateWithin is { } within
            ? backend.Server.Time.CreateTimer(
                _ =>
                {
                    if (methods.Caller.Role == Role.None)
                    {
                        AuthenticateTimedOut(logger, (int)within.TotalSeconds);
                        session.Cancel();
                    }
                },
                null,
                within,
                Timeout.InfiniteTimeSpan)
            : null;
        await using var connection = new RpcConnection(
            transport, methods, typeof(RpcMethods), logger, MethodRoles.Names, gate: MethodRoles.GateFor(() => methods.Caller, backend.Supervisor.Tokens));
        subscriptions.Attach(connection.Rpc);
        await connection.RunAsync(session.Token);
    }

    [LoggerMessage(LogEvents.Daemon.BrowserLoginTimedOut, LogLevel.Information, "Connection closed: it did not authenticate within {Seconds} s")]
    private static partial void AuthenticateTimedOut(ILogger logger, int seconds);
}
