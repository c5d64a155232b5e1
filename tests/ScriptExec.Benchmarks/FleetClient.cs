using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Formatter;

namespace ScriptExec.Benchmarks;

/// <summary>
/// The fleet's management side as the benchmark plays it: one MQTT 5 client on the broker that sends JSON-RPC
/// requests to a group topic, collects replies on its own response topic (matched by correlation data), and
/// watches the devices' online flags and events.
/// </summary>
internal sealed class FleetClient : IAsyncDisposable
{
    /// <summary>Bound of every wait: a fleet that has not answered by then has a fault, not a slow figure.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private readonly IMqttClient _client;
    private readonly string _prefix;
    private readonly string _replyTopic;
    private Action<MqttApplicationMessage>? _received;

    private FleetClient(IMqttClient client, string prefix, string clientId)
    {
        _client = client;
        _prefix = prefix;
        _replyTopic = "fleet-bench/" + clientId + "/replies";
    }

    public static async Task<FleetClient> ConnectAsync(int port, string prefix, CancellationToken cancellationToken)
    {
        var clientId = "fleet-bench-" + Guid.NewGuid().ToString("N")[..8];
        var client = new MqttClientFactory().CreateMqttClient();
        var fleet = new FleetClient(client, prefix, clientId);
        client.ApplicationMessageReceivedAsync += e =>
        {
            fleet._received?.Invoke(e.ApplicationMessage);
            return Task.CompletedTask;
        };
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(clientId)
            .WithCleanStart()
            .Build();
        await client.ConnectAsync(options, cancellationToken);
        await fleet.SubscribeAsync(fleet._replyTopic, cancellationToken);
        return fleet;
    }

    /// <summary>Waits until <paramref name="count"/> devices show the retained online flag <c>true</c>; returns how long that took.</summary>
    public async Task<TimeSpan> WaitOnlineAsync(int count, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var online = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _received = message =>
        {
            if (DeviceOf(message.Topic, "online") is { } device)
            {
                online[device] = message.ConvertPayloadToString().Trim() == "true";
                if (online.Count(pair => pair.Value) >= count)
                {
                    all.TrySetResult();
                }
            }
        };
        var filter = _prefix + "/+/online";
        await SubscribeAsync(filter, cancellationToken);
        try
        {
            await all.Task.WaitAsync(Timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{online.Count(pair => pair.Value)} of {count} devices came online within {Timeout}");
        }

        await _client.UnsubscribeAsync(filter, cancellationToken);
        return Stopwatch.GetElapsedTime(start);
    }

    /// <summary>
    /// <paramref name="rounds"/> times (after one untimed round): one <c>status</c> request on the group topic, timed
    /// until all <paramref name="count"/> replies are in.
    /// </summary>
    public async Task<Samples> FanOutAsync(string group, int count, int rounds, CancellationToken cancellationToken)
    {
        var samples = new Samples();
        for (var round = -1; round < rounds; round++)
        {
            var correlation = BitConverter.GetBytes(round);
            var replies = 0;
            var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _received = message =>
            {
                if (message.Topic != _replyTopic || !message.CorrelationData.AsSpan().SequenceEqual(correlation))
                {
                    return;
                }

                if (JsonNode.Parse(message.ConvertPayloadToString())?["result"] is null)
                {
                    all.TrySetException(new InvalidDataException("a device answered with an error: " + message.ConvertPayloadToString()));
                }
                else if (Interlocked.Increment(ref replies) == count)
                {
                    all.TrySetResult();
                }
            };
            var request = string.Create(CultureInfo.InvariantCulture, $"{{\"jsonrpc\":\"2.0\",\"id\":{round + 2},\"method\":\"status\"}}");
            var start = Stopwatch.GetTimestamp();
            await PublishAsync(GroupTopic(group), request, correlation, cancellationToken);
            try
            {
                await all.Task.WaitAsync(Timeout, cancellationToken);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"round {round}: {replies} of {count} replies within {Timeout}");
            }

            if (round >= 0)
            {
                samples.AddSince(start);
            }
        }

        return samples;
    }

    /// <summary>
    /// Sends <paramref name="request"/> to the group and counts what arrives on the devices' event topics until each
    /// of the <paramref name="count"/> devices has announced an execution's end.
    /// </summary>
    public async Task<EventCount> CountEventsAsync(string group, string request, int count, CancellationToken cancellationToken)
    {
        var events = 0L;
        var bytes = 0L;
        var kinds = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var ended = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _received = message =>
        {
            if (DeviceOf(message.Topic, "events") is not { } device)
            {
                return;
            }

            Interlocked.Increment(ref events);
            Interlocked.Add(ref bytes, message.Payload.Length);
            var (method, endsExecution) = Classify(message.ConvertPayloadToString());
            kinds.AddOrUpdate(method, 1, (_, n) => n + 1);
            if (endsExecution && ended.TryAdd(device, true) && ended.Count >= count)
            {
                all.TrySetResult();
            }
        };
        var filter = _prefix + "/+/events";
        await SubscribeAsync(filter, cancellationToken);
        var start = Stopwatch.GetTimestamp();
        await PublishAsync(GroupTopic(group), request, correlation: [1], cancellationToken);
        try
        {
            await all.Task.WaitAsync(Timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{ended.Count} of {count} devices announced their run's end within {Timeout} ({events} events)");
        }

        var elapsed = Stopwatch.GetElapsedTime(start);
        await _client.UnsubscribeAsync(filter, cancellationToken);
        var kindsJson = new JsonObject();
        foreach (var (kind, n) in kinds.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            kindsJson[kind] = n;
        }

        return new EventCount(Interlocked.Read(ref events), Interlocked.Read(ref bytes), elapsed, kindsJson);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _client.DisconnectAsync();
        }
        catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException)
        {
            // The broker may be gone already (the reconnect storm stops it).
        }

        _client.Dispose();
    }

    /// <summary>The notification's method, and whether it reports an execution that has ended (finished or killed).</summary>
    private static (string Method, bool EndsExecution) Classify(string payload)
    {
        using var document = JsonDocument.Parse(payload);
        var root = document.RootElement;
        var method = root.TryGetProperty("method", out var m) ? m.GetString() ?? "?" : "?";
        var ends = root.TryGetProperty("params", out var p) && p.ValueKind == JsonValueKind.Object
            && (StateOf(p) is "finished" or "killed"
                || p.TryGetProperty("execution", out var e) && e.ValueKind == JsonValueKind.Object && StateOf(e) is "finished" or "killed");
        return (method, ends);
    }

    private static string? StateOf(JsonElement element) =>
        element.TryGetProperty("state", out var state) && state.ValueKind == JsonValueKind.String ? state.GetString() : null;

    private string GroupTopic(string group) => _prefix + "/group/" + group + "/rpc";

    /// <summary>The device id of <c>&lt;prefix&gt;/&lt;device&gt;/&lt;leaf&gt;</c>, or null for any other topic.</summary>
    private string? DeviceOf(string topic, string leaf)
    {
        var parts = topic.Split('/');
        return parts.Length == 3 && parts[0] == _prefix && parts[2] == leaf ? parts[1] : null;
    }

    private Task<MqttClientSubscribeResult> SubscribeAsync(string filter, CancellationToken cancellationToken) =>
        _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter).Build(), cancellationToken);

    private Task<MqttClientPublishResult> PublishAsync(string topic, string payload, byte[] correlation, CancellationToken cancellationToken) =>
        _client.PublishAsync(
            new MqttApplicationMessageBuilder()
                .WithTopic(topic)
                .WithPayload(Encoding.UTF8.GetBytes(payload))
                .WithResponseTopic(_replyTopic)
                .WithCorrelationData(correlation)
                .Build(),
            cancellationToken);
}

/// <summary>What the events topics carried during one fleet-wide run.</summary>
internal sealed record EventCount(long Events, long Bytes, TimeSpan Elapsed, JsonObject Kinds);
