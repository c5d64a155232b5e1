using ScriptExec.Core;

namespace ScriptExec.Daemon.Fleet;

/// <summary>The <c>mqtt</c> section: the MQTT channel (off unless <c>mqtt.url</c> is set). docs/MQTT.md lists every key.</summary>
public sealed record MqttOptions
{
    public required Uri Url { get; init; }

    /// <summary>The device's name in its topics and the MQTT client id.</summary>
    public required string DeviceId { get; init; }

    public string Prefix { get; init; } = "scriptexec";

    public IReadOnlyList<string> Groups { get; init; } = [];

    /// <summary>What every request over the channel may do.</summary>
    public Role Role { get; init; } = Role.Viewer;

    public string? Username { get; init; }

    public string? Password { get; init; }

    /// <summary>PEM client certificate and key (mqtts://).</summary>
    public string? ClientCertificate { get; init; }

    public string? ClientKey { get; init; }

    /// <summary>PEM file of the CA(s) the broker's certificate must chain to (mqtts://); none: the system's.</summary>
    public string? CaFile { get; init; }

    /// <summary>The <c>execution_subscribe</c> params (<c>{filter?, output?}</c>) of the events topic, as UTF-8 JSON; null: no events.</summary>
    public byte[]? EventsSubscription { get; init; } = "{}"u8.ToArray();

    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Messages (replies, events) kept to publish while disconnected, at most; the oldest are dropped beyond.</summary>
    public int QueueSize { get; init; } = 1000;

    /// <summary>Bytes of payload kept to publish while disconnected, at most.</summary>
    public int QueueMaxBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Requests served at once; more wait (and the broker holds them).</summary>
    public int MaxConcurrentRequests { get; init; } = 4;

    public TimeSpan ReconnectMin { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan ReconnectMax { get; init; } = TimeSpan.FromSeconds(60);

    public string RequestTopic => $"{Prefix}/{DeviceId}/rpc";

    public string EventsTopic => $"{Prefix}/{DeviceId}/events";

    public string OnlineTopic => $"{Prefix}/{DeviceId}/online";

    public string GroupTopic(string group) => $"{Prefix}/group/{group}/rpc";

    /// <summary>The broker URL as status shows it: no user info.</summary>
    public string DisplayUrl => new UriBuilder(Url) { UserName = "", Password = "" }.Uri.ToString().TrimEnd('/');
}

/// <summary>The <c>outbound</c> section: a WebSocket the daemon dials to a management server (off unless <c>outbound.url</c> is set).</summary>
public sealed record OutboundOptions
{
    /// <summary>ws:// or wss://.</summary>
    public required Uri Url { get; init; }

    /// <summary>Sent as <c>Authorization: Bearer</c>.</summary>
    public required string Token { get; init; }

    public Role Role { get; init; } = Role.Viewer;

    public TimeSpan ReconnectMin { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan ReconnectMax { get; init; } = TimeSpan.FromSeconds(60);

    public string DisplayUrl => new UriBuilder(Url) { UserName = "", Password = "", Query = "" }.Uri.ToString();
}
