using System.Text;
using Microsoft.AspNetCore.Connections;
using ScriptExec.Rpc.Protocol;

namespace ScriptExec.Daemon;

/// <summary>
/// Counts every accepted connection of both endpoints (Unix socket, and every TCP connection of the WebSocket
/// endpoint, whether it ever authenticates or upgrades) against one cap, and refuses the one too many cleanly before
/// it costs more than its socket: on the Unix socket with one <c>-32603</c> error line (reason <c>capacity</c>), on
/// plain HTTP with a 503 response, then a close.
/// </summary>
/// <remarks>
/// The cap is <c>max_connections</c>, lowered to what the open-file limit leaves after the daemon's reserve
/// (<see cref="DescriptorBudget"/>): a client holding connections open after their 401 must not eat the
/// descriptors the store, spawning and the runtime need. Kestrel's own <c>MaxConcurrentConnections</c> is not used
/// for this: it drops the socket without a word.
/// </remarks>
internal sealed class ConnectionLimit
{
    private static readonly byte[] HttpRefusal = Encoding.ASCII.GetBytes(
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");

    private readonly DescriptorBudget _budget;
    private readonly ILogger<ConnectionLimit> _logger;
    private int _open;

    public ConnectionLimit(DescriptorBudget budget, ILogger<ConnectionLimit> logger)
    {
        _budget = budget;
        _logger = logger;
    }

    /// <summary>Gets the cap in force: <c>max_connections</c>, or less where the open-file limit leaves less.</summary>
    public int MaxConnections => _budget.ConnectionCap;

    /// <summary>Gets the connections open now, both endpoints together.</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary>Connection middleware of the Unix socket endpoint, ahead of its connection handler.</summary>
    public ConnectionDelegate UnixSocketGate(ConnectionDelegate next) => Gate(next, "unix", () => [.. ConnectionRefusal.TooManyConnections(MaxConnections), (byte)'\n']);

    /// <summary>
    /// Connection middleware of the WebSocket endpoint, ahead of TLS and HTTP; over TLS a refusal is a bare close,
    /// since nothing can be said before the handshake.
    /// </summary>
    public ConnectionDelegate TcpGate(ConnectionDelegate next, bool tls) => Gate(next, "tcp", tls ? null : () => HttpRefusal);

    private ConnectionDelegate Gate(ConnectionDelegate next, string transport, Func<byte[]>? refusal) => async connection =>
    {
        if (!TryEnter())
        {
            Log.ConnectionRefused(_logger, transport, MaxConnections);
            if (refusal is not null)
            {
                // Kestrel closes the connection when we return, after sending what is flushed.
                await connection.Transport.Output.WriteAsync(refusal(), connection.ConnectionClosed);
            }

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

    private bool TryEnter()
    {
        // Read once: the cap may be refined while connections arrive (see DescriptorBudget.Remeasure).
        int cap = MaxConnections;
        if (Interlocked.Increment(ref _open) <= cap)
        {
            return true;
        }

        Interlocked.Decrement(ref _open);
        return false;
    }

    private void Leave() => Interlocked.Decrement(ref _open);
}
