using System.Threading.Channels;
using MQTTnet;
using ScriptExec.Core;
using ScriptExec.Rpc.Methods;
using ScriptExec.Rpc.Results;
using ScriptExec.Rpc.Sessions;

namespace ScriptExec.Daemon.Fleet;

/// <summary>
/// The MQTT channel: connects out to the broker, serves each request published on the device's and its groups'
/// rpc topics through the same JSON-RPC layer as a connection (<see cref="ClientSession.RunExchangeAsync"/>),
/// publishes the replies and the configured subscription's notifications, and keeps the retained online flag.
/// Reconnects with <see cref="ReconnectBackoff"/>; what is to be published meanwhile waits in the <see cref="MqttOutbox"/>.
/// </summary>
internal sealed partial class MqttChannel : BackgroundService
{
    private readonly MqttOptions _options;
    private readonly RpcBackend _backend;
    private readonly TimeProvider _time;
    private readonly ILogger<MqttChannel> _logger;
    private readonly MqttClientFactory _factory = new();
    private readonly MqttClientOptions _clientOptions;
    private readonly MqttOutbox _outbox;
    private readonly Channel<InboundMessage> _inbound;
    private readonly CallerIdentity _caller;
    private readonly int _maxMessageBytes;
    private readonly byte[] _deviceId;
    // Read by status and by StopAsync, on other threads than the connection loop that sets it.
    private volatile IMqttClient? _client;
    private volatile bool _stopping;
    private long _connects;
    private long? _connectedTimestamp;
    private string? _lastError;
    private int _dropLogged;

    public MqttChannel(MqttOptions options, DaemonOptions daemon, RpcBackend backend, TimeProvider time, ILogger<MqttChannel> logger)
    {
        _options = options;
        _backend = backend;
        _time = time;
        _logger = logger;
        _maxMessageBytes = daemon.MaxMessageBytes;
        _deviceId = System.Text.Encoding.UTF8.GetBytes(options.DeviceId);
        _clientOptions = MqttClientSetup.ClientOptions(options, daemon.MaxMessageBytes);
        _outbox = new MqttOutbox(options.QueueSize, options.QueueMaxBytes);
        _caller = new CallerIdentity($"mqtt:{options.DeviceId}", CallerIdentity.MqttTransport, options.Role);

        // A few requests' worth beyond those being served; then receiving waits, and the broker holds the rest.
        _inbound = Channel.CreateBounded<InboundMessage>(new BoundedChannelOptions(options.MaxConcurrentRequests * 4)
        {
            FullMode = BoundedChannelFullMode.Wait,
        });
        backend.Server.AddChannel(Status);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // A clean shutdown says so itself: a normal disconnect makes the broker discard the last will.
        _stopping = true;
        if (_client is { IsConnected: true } client)
        {
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bounded.CancelAfter(TimeSpan.FromSeconds(2));
            try
            {
                await client.PublishAsync(MqttClientSetup.OnlineFlag(_options, online: false), bounded.Token);
                await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), bounded.Token);
                Log.MqttStopped(_logger, _options.DisplayUrl);
            }
            catch (Exception e) when (e is OperationCanceledException or MQTTnet.Exceptions.MqttCommunicationException)
            {
                // The broker is away or slow: the last will says offline for us.
            }
        }

        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var events = PublishEventsAsync(stoppingToken);
        var workers = Enumerable.Range(0, _options.MaxConcurrentRequests).Select(_ => ServeRequestsAsync(stoppingToken)).ToList();
        var backoff = new ReconnectBackoff(_options.ReconnectMin, _options.ReconnectMax);
        try
        {
            await backoff.RunAsync(ConnectAndServeAsync, Retrying, _time, () => _stopping, stoppingToken);
        }
        finally
        {
            _inbound.Writer.TryComplete();
            await Task.WhenAll([events, .. workers]);
        }
    }

    private void Retrying(bool wasConnected, TimeSpan delay)
    {
        if (wasConnected)
        {
            Log.MqttDisconnected(_logger, _options.DisplayUrl, _lastError ?? "?", (long)delay.TotalMilliseconds);
        }
        else
        {
            Log.MqttConnectFailed(_logger, _options.DisplayUrl, _lastError ?? "?", (long)delay.TotalMilliseconds);
        }
    }

    /// <summary>One connection, from CONNECT until it is lost; returns whether it was made.</summary>
    private async Task<bool> ConnectAndServeAsync(CancellationToken cancellationToken)
    {
        using var client = _factory.CreateMqttClient();
        var lost = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.DisconnectedAsync += e =>
        {
            lost.TrySetResult(e.Exception?.Message ?? e.ReasonString ?? e.Reason.ToString());
            return Task.CompletedTask;
        };
        client.ApplicationMessageReceivedAsync += e => ReceiveAsync(e, cancellationToken);
        var connected = false;
        try
        {
            await client.ConnectAsync(_clientOptions, cancellationToken);
            var subscribed = await client.SubscribeAsync(MqttClientSetup.Subscriptions(_factory, _options), cancellationToken);
            if (subscribed.Items.FirstOrDefault(i => (int)i.ResultCode >= 0x80) is { } refused)
            {
                // Typically an ACL: connected, but of no use; the next attempt may find the ACL fixed.
                _lastError = $"subscription to {refused.TopicFilter.Topic} refused: {refused.ResultCode}";
                await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), CancellationToken.None);
                return false;
            }

            await client.PublishAsync(MqttClientSetup.OnlineFlag(_options, online: true), cancellationToken);
            connected = true;
            _client = client;
            Interlocked.Increment(ref _connects);
            _connectedTimestamp = _time.GetUtcNow().ToUnixTimeSeconds();
            Volatile.Write(ref _dropLogged, 0);
            using var counted = _backend.Server.Connected(CallerIdentity.MqttTransport);
            Log.MqttConnected(_logger, _options.DisplayUrl, _options.DeviceId, _options.Role.ToWire(), string.Join(", ", MqttClientSetup.RequestTopics(_options)));
            _lastError = await PublishQueuedAsync(client, lost.Task, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not OutOfMemoryException)
        {
            _lastError = e.Message;
        }
        finally
        {
            _client = null;
            _connectedTimestamp = null;
        }

        return connected;
    }

    /// <summary>Publishes the outbox in order until the connection is lost; returns why it was.</summary>
    private async Task<string> PublishQueuedAsync(IMqttClient client, Task<string> lost, CancellationToken cancellationToken)
    {
        while (true)
        {
            var next = _outbox.PeekAsync(cancellationToken);
            if (await Task.WhenAny(next, lost) == lost)
            {
                return await lost;
            }

            var message = await next;
            MqttClientPublishResult result;
            try
            {
                result = await client.PublishAsync(MqttClientSetup.Message(message, _deviceId), cancellationToken);
            }
            catch (Exception e) when (client.IsConnected && e is not OperationCanceledException)
            {
                // The message itself is at fault (say, a response topic with a wildcard), not the connection.
                Log.MqttPublishFailed(_logger, message.Topic, e.Message);
                _outbox.Remove(message);
                continue;
            }

            if ((int)result.ReasonCode >= 0x80)
            {
                Log.MqttPublishFailed(_logger, message.Topic, result.ReasonString ?? result.ReasonCode.ToString());
            }

            _outbox.Remove(message);
        }
    }

    private void Publish(OutgoingMessage message)
    {
        if (_outbox.Enqueue(message) > 0 && Interlocked.Exchange(ref _dropLogged, 1) == 0)
        {
            // Once per outage: the count in status says how many since.
            Log.MqttDropped(_logger, _outbox.Count, _outbox.Dropped);
        }
    }

    private ChannelStatus Status() => new(
        CallerIdentity.MqttTransport,
        _options.DisplayUrl,
        _options.Role.ToWire(),
        _options.DeviceId,
        _client is { IsConnected: true },
        Interlocked.Read(ref _connects),
        _connectedTimestamp,
        _lastError,
        _outbox.Count,
        _outbox.Dropped);
}
