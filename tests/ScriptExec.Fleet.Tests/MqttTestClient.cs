using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Protocol;

namespace ScriptExec.Fleet.Tests;

/// <summary>A fleet manager's side of the broker, with MQTTnet: publishes requests and collects what arrives per topic.</summary>
public sealed class MqttTestClient : IAsyncDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly IMqttClient _client;
    private readonly ConcurrentDictionary<string, Channel<MqttApplicationMessage>> _received = new();

    private MqttTestClient(IMqttClient client)
    {
        _client = client;
        _client.ApplicationMessageReceivedAsync += e =>
        {
            Inbox(e.ApplicationMessage.Topic).Writer.TryWrite(e.ApplicationMessage);
            return Task.CompletedTask;
        };
    }

    public static async Task<MqttTestClient> ConnectAsync(Mosquitto broker, string? user = null, string? password = null)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", broker.Port)
            .WithClientId($"manager-{Guid.NewGuid():N}")
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithCleanStart(true);
        if (user is not null)
        {
            options.WithCredentials(user, password);
        }

        var connecting = new MqttTestClient(client);
        await client.ConnectAsync(options.Build());
        return connecting;
    }

    public async Task SubscribeAsync(string topic)
    {
        Inbox(topic);
        await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(f => f.WithTopic(topic).WithAtLeastOnceQoS()).Build());
    }

    public Task PublishAsync(string topic, string payload, string? responseTopic = null, byte[]? correlation = null)
    {
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(Encoding.UTF8.GetBytes(payload))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        if (responseTopic is not null)
        {
            message.WithResponseTopic(responseTopic);
        }

        if (correlation is not null)
        {
            message.WithCorrelationData(correlation);
        }

        return _client.PublishAsync(message.Build());
    }

    /// <summary>Publishes a request with an MQTT 5 response topic and returns the reply that carries its correlation data.</summary>
    public async Task<(JsonNode Reply, MqttApplicationMessage Message)> RequestAsync(string topic, string payload)
    {
        var responseTopic = $"manager/replies/{Guid.NewGuid():N}";
        await SubscribeAsync(responseTopic);
        var correlation = Guid.NewGuid().ToByteArray();
        await PublishAsync(topic, payload, responseTopic, correlation);
        var message = await NextAsync(responseTopic);
        Assert.That(message.CorrelationData, Is.EqualTo(correlation), "the reply carries the request's correlation data");
        return (Parse(message), message);
    }

    /// <summary>The next message on <paramref name="topic"/> (subscribed before), within a bound.</summary>
    public async Task<MqttApplicationMessage> NextAsync(string topic)
    {
        using var timeout = new CancellationTokenSource(Wait);
        try
        {
            return await Inbox(topic).Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"nothing arrived on {topic} within {Wait}");
            throw;
        }
    }

    /// <summary>Reads <paramref name="topic"/> (subscribed before) until a message with <paramref name="payload"/> arrives.</summary>
    public async Task<MqttApplicationMessage> NextWithAsync(string topic, string payload)
    {
        while (true)
        {
            var message = await NextAsync(topic);
            if (Text(message) == payload)
            {
                return message;
            }
        }
    }

    /// <summary>Whether another message on <paramref name="topic"/> has already arrived.</summary>
    public bool HasMore(string topic) => Inbox(topic).Reader.TryPeek(out _);

    public static JsonNode Parse(MqttApplicationMessage message) => JsonNode.Parse(Encoding.UTF8.GetString(message.Payload))!;

    public static string Text(MqttApplicationMessage message) => Encoding.UTF8.GetString(message.Payload);

    /// <summary>The retained message of <paramref name="topic"/> as a fresh subscriber sees it.</summary>
    public static async Task<string?> RetainedAsync(Mosquitto broker, string topic)
    {
        await using var probe = await ConnectAsync(broker);
        await probe.SubscribeAsync(topic);
        var message = await probe.NextAsync(topic);
        return message.Retain ? Text(message) : null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync();
        }

        _client.Dispose();
    }

    private Channel<MqttApplicationMessage> Inbox(string topic) =>
        _received.GetOrAdd(topic, _ => Channel.CreateUnbounded<MqttApplicationMessage>());
}
