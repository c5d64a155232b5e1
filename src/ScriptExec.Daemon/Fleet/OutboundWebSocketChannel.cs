using System.Net.WebSockets;
using ScriptExec.Core;
using ScriptExec.Rpc.Methods;
using ScriptExec.Rpc.Protocol;
using ScriptExec.Rpc.Results;
using ScriptExec.Rpc.Sessions;

namespace ScriptExec.Daemon.Fleet;

/// <summary>
/// Shelly's outbound WebSocket: the daemon dials a management server (for devices behind NAT) with a bearer token
/// and serves JSON-RPC over that connection exactly as over an accepted one (<see cref="ClientSession.RunAsync"/>:
/// replies, subscriptions and their notifications), with the configured role. When it ends, it dials again after a
/// <see cref="ReconnectBackoff"/> delay.
/// </summary>
internal sealed class OutboundWebSocketChannel : BackgroundService
{
    private readonly OutboundOptions _options;
    private readonly DaemonOptions _daemon;
    private readonly RpcBackend _backend;
    private readonly TimeProvider _time;
    private readonly ILogger<OutboundWebSocketChannel> _logger;
    private readonly CallerIdentity _caller;
    private volatile bool _connected;
    private long _connects;
    private long? _connectedTimestamp;
    private string? _lastError;

    public OutboundWebSocketChannel(OutboundOptions options, DaemonOptions daemon, RpcBackend backend, TimeProvider time, ILogger<OutboundWebSocketChannel> logger)
    {
        _options = options;
        _daemon = daemon;
        _backend = backend;
        _time = time;
        _logger = logger;
        _caller = new CallerIdentity("outbound", CallerIdentity.OutboundWebSocketTransport, options.Role);
        backend.Server.AddChannel(Status);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        new ReconnectBackoff(_options.ReconnectMin, _options.ReconnectMax).RunAsync(ConnectAndServeAsync, Retrying, _time, () => false, stoppingToken);

    private void Retrying(bool wasConnected, TimeSpan delay)
    {
        if (wasConnected)
        {
            Log.OutboundDisconnected(_logger, _options.DisplayUrl, (long)delay.TotalMilliseconds);
        }
        else
        {
            Log.OutboundConnectFailed(_logger, _options.DisplayUrl, _lastError ?? "?", (long)delay.TotalMilliseconds);
        }
    }

    private async Task<bool> ConnectAndServeAsync(CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {_options.Token}");
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(30);
        try
        {
            using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            connectTimeout.CancelAfter(TimeSpan.FromSeconds(30));
            await socket.ConnectAsync(_options.Url, connectTimeout.Token);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is WebSocketException or OperationCanceledException or HttpRequestException)
        {
            _lastError = e.InnerException?.Message ?? e.Message;
            socket.Dispose();
            return false;
        }

        Interlocked.Increment(ref _connects);
        _connectedTimestamp = _time.GetUtcNow().ToUnixTimeSeconds();
        _connected = true;
        Log.OutboundConnected(_logger, _options.DisplayUrl, _options.Role.ToWire());
        try
        {
            // The transport owns the socket from here and disposes it when the session ends.
            var transport = new WebSocketTransport(socket, _daemon.MaxMessageBytes, _daemon.MessageTimeout, _time);
            await ClientSession.RunAsync(_backend, transport, _caller, _logger, cancellationToken);
            _lastError = socket.CloseStatusDescription is { Length: > 0 } why ? $"closed by the server: {why}" : "connection ended";
        }
        finally
        {
            _connected = false;
            _connectedTimestamp = null;
        }

        return true;
    }

    private ChannelStatus Status() => new(
        CallerIdentity.OutboundWebSocketTransport,
        _options.DisplayUrl,
        _options.Role.ToWire(),
        DeviceId: null,
        _connected,
        Interlocked.Read(ref _connects),
        _connectedTimestamp,
        _lastError,
        QueuedMessages: null,
        DroppedMessages: null);
}
