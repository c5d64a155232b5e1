using ScriptExec.Rpc.Methods;
using ScriptExec.Rpc.Results;

namespace ScriptExec.Rpc.Sessions;

/// <summary>Facts about the running daemon that <c>status</c> reports, and its connection counters.</summary>
public sealed class RpcServerInfo
{
    private readonly long _startedTicks;
    private readonly Lock _channelsLock = new();
    private int _unixClients;
    private int _webSocketClients;
    private int _mqttClients;
    private int _outboundClients;
    private Func<ChannelStatus>[] _channels = [];

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

    /// <summary>1 while the MQTT channel is connected to its broker, else 0.</summary>
    public int MqttClients => Volatile.Read(ref _mqttClients);

    /// <summary>1 while the outbound WebSocket is connected to its management server, else 0.</summary>
    public int OutboundWebSocketClients => Volatile.Read(ref _outboundClients);

    /// <summary>Connected clients by transport name, for <c>GET /metrics</c>.</summary>
    public ClientCounter Clients { get; } = new(
        CallerIdentity.UnixTransport, CallerIdentity.WebSocketTransport, CallerIdentity.MqttTransport, CallerIdentity.OutboundWebSocketTransport);

    /// <summary>Counts a connection for as long as the returned handle is not disposed.</summary>
    public IDisposable Connected(string transport) => new Connection(this, transport, Clients.Connected(transport));

    /// <summary>Adds a fleet channel (MQTT, outbound WebSocket) whose condition <c>status</c> reports.</summary>
    public void AddChannel(Func<ChannelStatus> status)
    {
        lock (_channelsLock)
        {
            _channels = [.. _channels, status];
        }
    }

    /// <summary>The condition of each configured fleet channel, now.</summary>
    public IReadOnlyList<ChannelStatus> Channels() => [.. Volatile.Read(ref _channels).Select(c => c())];

    private ref int CounterOf(string transport)
    {
        switch (transport)
        {
            case CallerIdentity.UnixTransport:
                return ref _unixClients;
            case CallerIdentity.MqttTransport:
                return ref _mqttClients;
            case CallerIdentity.OutboundWebSocketTransport:
                return ref _outboundClients;
            default:
                return ref _webSocketClients;
        }
    }

    private sealed class Connection : IDisposable
    {
        private readonly RpcServerInfo _info;
        private readonly string _transport;
        private readonly IDisposable _byTransport;
        private int _disposed;

        public Connection(RpcServerInfo info, string transport, IDisposable byTransport)
        {
            _info = info;
            _transport = transport;
            _byTransport = byTransport;
            Interlocked.Increment(ref info.CounterOf(transport));
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            _byTransport.Dispose();
            Interlocked.Decrement(ref _info.CounterOf(_transport));
        }
    }
}
