using ScriptExec.Rpc.Methods;

namespace ScriptExec.Rpc.Sessions;

/// <summary>Facts about the running daemon that <c>status</c> reports, and its connection counters.</summary>
public sealed class RpcServerInfo
{
    private readonly long _startedTicks;
    private int _unixClients;
    private int _webSocketClients;

    public RpcServerInfo(TimeProvider? time = null)
    {
        Time = time ?? TimeProvider.System;
        StartedAt = Time.GetUtcNow();
        _startedTicks = Time.GetTimestamp();
    }

    public TimeProvider Time { get; }

    public string Version { get; init; } = typeof(RpcServerInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>The wall-clock time the daemon started, as it was read then.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>Time since start on the monotonic clock: a wall-clock step (NTP, an RTC-less boot) does not move it.</summary>
    public TimeSpan Uptime => Time.GetElapsedTime(_startedTicks);

    /// <summary>The default of <c>max_message_bytes</c>; its one home.</summary>
    public const int DefaultMaxMessageBytes = 1024 * 1024;

    public int MaxMessageBytes { get; init; } = DefaultMaxMessageBytes;

    public int UnixClients => Volatile.Read(ref _unixClients);

    public int WebSocketClients => Volatile.Read(ref _webSocketClients);

    /// <summary>Connected clients by transport name, for <c>GET /metrics</c>.</summary>
    public ClientCounter Clients { get; } = new(CallerIdentity.UnixTransport, CallerIdentity.WebSocketTransport);

    /// <summary>Counts a connection for as long as the returned handle is not disposed.</summary>
    public IDisposable Connected(string transport) => new Connection(this, transport == CallerIdentity.UnixTransport, Clients.Connected(transport));

    private sealed class Connection : IDisposable
    {
        private readonly RpcServerInfo _info;
        private readonly bool _unix;
        private readonly IDisposable _byTransport;
        private int _disposed;

        public Connection(RpcServerInfo info, bool unix, IDisposable byTransport)
        {
            _info = info;
            _unix = unix;
            _byTransport = byTransport;
            if (unix)
            {
                Interlocked.Increment(ref info._unixClients);
            }
            else
            {
                Interlocked.Increment(ref info._webSocketClients);
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            _byTransport.Dispose();
            if (_unix)
            {
                Interlocked.Decrement(ref _info._unixClients);
            }
            else
            {
                Interlocked.Decrement(ref _info._webSocketClients);
            }
        }
    }
}
