using System.Text.Json;
using Microsoft.Extensions.Logging;
using ScriptExec.Core;
using ScriptExec.Rpc.Methods;
using ScriptExec.Rpc.Protocol;

namespace ScriptExec.Rpc.Sessions;

/// <summary>
/// Serves one client connection, whatever its transport: the front layer and StreamJsonRpc (<see cref="RpcConnection"/>),
/// the methods for its caller with their roles checked before dispatch, and its subscriptions.
/// </summary>
/// <remarks>
/// Message channels (MQTT) have no connection: each inbound message is served as its own exchange
/// (<see cref="RunExchangeAsync"/>), and the channel's notifications come from one standing subscription
/// (<see cref="RunEventsAsync"/>). Both go through the same layer as a connection: batches, errors, size limit, roles.
/// </remarks>
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

    /// <summary>
    /// Serves one message of a message channel (one request, notification or batch) and completes once its replies
    /// are written. Nothing outlives the exchange, so the methods that would set up connection state
    /// (<see cref="MessageChannelGate.ConnectionStateMethods"/>) are refused with <c>-32601</c>.
    /// </summary>
    /// <param name="transport">Yields the one message, then the end of the stream.</param>
    public static async Task RunExchangeAsync(
        RpcBackend backend, IMessageTransport transport, CallerIdentity caller, ILogger logger, CancellationToken cancellationToken)
    {
        using var subscriptions = new ExecutionSubscriptions(backend.Supervisor.Dispatcher, backend.Control.Restarts);
        var methods = new RpcMethods(backend, caller, subscriptions);
        var gate = new MessageChannelGate(caller.Transport, MethodRoles.GateFor(() => methods.Caller, backend.Supervisor.Tokens));
        await using var connection = new RpcConnection(transport, methods, typeof(RpcMethods), logger, MethodRoles.Names, gate: gate);
        await connection.RunAsync(cancellationToken);
    }

    /// <summary>
    /// Holds one standing subscription for a message channel and writes its notifications to
    /// <paramref name="transport"/> (which reads nothing) until <paramref name="cancellationToken"/> fires.
    /// </summary>
    /// <param name="subscribeParams">The params of <c>execution_subscribe</c> (<c>{filter?, output?}</c>), checked as that method checks them.</param>
    /// <exception cref="Core.InvalidParameterException">The params are not valid <c>execution_subscribe</c> params.</exception>
    public static async Task RunEventsAsync(
        RpcBackend backend, IMessageTransport transport, CallerIdentity caller, JsonElement subscribeParams, ILogger logger, CancellationToken cancellationToken)
    {
        using var subscriptions = new ExecutionSubscriptions(backend.Supervisor.Dispatcher, backend.Control.Restarts);
        var methods = new RpcMethods(backend, caller, subscriptions);
        methods.ExecutionSubscribe(subscribeParams);
        await using var connection = new RpcConnection(
            transport, methods, typeof(RpcMethods), logger, MethodRoles.Names, gate: MethodRoles.GateFor(() => methods.Caller, backend.Supervisor.Tokens));
        subscriptions.Attach(connection.Rpc);
        await connection.RunAsync(cancellationToken);
    }

    [LoggerMessage(LogEvents.Daemon.BrowserLoginTimedOut, LogLevel.Information, "Connection closed: it did not authenticate within {Seconds} s")]
    private static partial void AuthenticateTimedOut(ILogger logger, int seconds);
}
