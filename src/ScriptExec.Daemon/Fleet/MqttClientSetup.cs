using System.Security.Cryptography.X509Certificates;
using MQTTnet;
using MQTTnet.Protocol;

namespace ScriptExec.Daemon.Fleet;

/// <summary>The MQTTnet options of the channel: MQTT 5, clean start, the retained last will, TLS and credentials.</summary>
internal static class MqttClientSetup
{
    public static readonly byte[] Online = "true"u8.ToArray();

    public static readonly byte[] Offline = "false"u8.ToArray();

    public static MqttClientOptions ClientOptions(MqttOptions options, int maxMessageBytes)
    {
        var url = options.Url;
        var tls = url.Scheme == "mqtts";
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(url.Host, url.IsDefaultPort || url.Port < 0 ? (tls ? 8883 : 1883) : url.Port)
            .WithClientId(options.DeviceId)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            // Every connection subscribes anew: a session the broker kept would replay requests long given up on.
            .WithCleanStart(true)
            .WithKeepAlivePeriod(options.KeepAlive)
            .WithTimeout(TimeSpan.FromSeconds(10))
            // The broker drops what is larger (MQTT 5) instead of making us buffer it; the slack above the message
            // limit is for topic and properties, so a request just over it is still answered -32600.
            .WithMaximumPacketSize((uint)maxMessageBytes + (64 * 1024))
            .WithWillTopic(options.OnlineTopic)
            .WithWillPayload(Offline)
            .WithWillRetain(true)
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        if (options.Username is not null)
        {
            builder.WithCredentials(options.Username, options.Password ?? "");
        }

        if (tls)
        {
            builder.WithTlsOptions(o =>
            {
                o.UseTls();
                o.WithTargetHost(url.Host);
                if (options.ClientCertificate is not null)
                {
                    o.WithClientCertificates([X509Certificate2.CreateFromPemFile(options.ClientCertificate, options.ClientKey)]);
                }

                if (options.CaFile is not null)
                {
                    var chain = new X509Certificate2Collection();
                    chain.ImportFromPemFile(options.CaFile);
                    o.WithTrustChain(chain);
                }
            });
        }

        return builder.Build();
    }

    public static MqttClientSubscribeOptions Subscriptions(MqttClientFactory factory, MqttOptions options)
    {
        var builder = factory.CreateSubscribeOptionsBuilder();
        foreach (var topic in RequestTopics(options))
        {
            // No local: a reply we publish to a topic we also serve (a src naming a group) must not come back as a request.
            builder.WithTopicFilter(f => f.WithTopic(topic).WithAtLeastOnceQoS().WithNoLocal(true));
        }

        return builder.Build();
    }

    public static IEnumerable<string> RequestTopics(MqttOptions options) =>
        [options.RequestTopic, .. options.Groups.Select(options.GroupTopic)];

    public static MqttApplicationMessage OnlineFlag(MqttOptions options, bool online) =>
        new MqttApplicationMessageBuilder()
            .WithTopic(options.OnlineTopic)
            .WithPayload(online ? Online : Offline)
            .WithRetainFlag(true)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();

    /// <remarks>
    /// Every message names its device in the MQTT 5 user property <c>device_id</c>: the replies of a group request
    /// arrive on one response topic with one correlation data, and this tells them apart.
    /// </remarks>
    public static MqttApplicationMessage Message(OutgoingMessage message, ReadOnlyMemory<byte> deviceId)
    {
        var builder = new MqttApplicationMessageBuilder()
            .WithTopic(message.Topic)
            .WithPayload(message.Payload)
            .WithContentType("application/json")
            .WithUserProperty("device_id", deviceId)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        if (message.CorrelationData is { } correlation)
        {
            builder.WithCorrelationData(correlation);
        }

        return builder.Build();
    }
}
