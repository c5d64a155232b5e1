using Microsoft.AspNetCore.Connections;
using ScriptExec.Rpc.Protocol;

namespace ScriptExec.Daemon;

/// <summary>
/// Counts the client connections of both transports against <c>max_connections</c> and refuses the one too many
/// cleanly, before it costs a JSON-RPC connection: on the Unix socket with one <c>-32603</c> error line (reason
/// <c>capacity</c>) and a close, on the WebSocket with HTTP 503 instead of the upgrade.
/// </summary>
/// <remarks>
/// Kestrel's own limits cannot do this: <c>MaxConcurrentConnections</c> drops the socket without a word (and counts
/// per endpoint), <c>MaxConcurrentUpgradedConnections</c> makes the upgrade throw. They stay on as a backstop at
/// <see cref="KestrelBackstop"/>, which also bounds raw HTTP connections that never upgrade.
/// </remarks>
internal sealed class ConnectionLimit
{
    private readonly ILogger<ConnectionLimit> _logger;
    private readonly byte[] _refusal;
    private int _open;

    public ConnectionLimit(DaemonOptions options, ILogger<ConnectionLimit> logger)
    {
        MaxConnections = options.MaxConnections;
        _logger = logger;
        _refusal = [.. ConnectionRefusal.TooManyConnections(MaxConnections), (byte)'\n'];
    }

    public int MaxConnections { get; }

    /// <summary>
    /// Kestrel's raw limits: above ours, so that a client normally meets our clean refusal; refused sockets and
    /// HTTP requests that are not (yet) upgrades use the headroom.
    /// </summary>
    public static long KestrelBackstop(int maxConnections) => 2L * maxConnections;

    /// <summary>Connection middleware of the Unix socket endpoint, ahead of its connection handler.</summary>
    public ConnectionDelegate UnixSocketGate(ConnectionDelegate next) => async connection =>
    {
        if (!TryEnter())
        {
            Log.ConnectionRefused(_logger, "unix", MaxConnections);

            // Kestrel closes the connection when we return, after sending what is flushed.
            await connection.Transport.Output.WriteAsync(_refusal, connection.ConnectionClosed);
            return;
        }

        try
        {
            await next(connection);
        }
        finally
        {
            Leave();
        }
    };

    /// <summary>HTTP middleware: a WebSocket upgrade over the limit is answered 503 and never upgraded.</summary>
    public async Task WebSocketGateAsync(HttpContext context, RequestDelegate next)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await next(context);
            return;
        }

        if (!TryEnter())
        {
            Log.ConnectionRefused(_logger, "websocket", MaxConnections);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "1";
            return;
        }

        try
        {
            await next(context);
        }
        finally
        {
            Leave();
        }
    }

    private bool TryEnter()
    {
        if (Interlocked.Increment(ref _open) <= MaxConnections)
        {
            return true;
        }

        Interlocked.Decrement(ref _open);
        return false;
    }

    private void Leave() => Interlocked.Decrement(ref _open);
}
