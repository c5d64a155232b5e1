using System.Globalization;
using System.Text.Json;
using ScriptExec.Core;

namespace ScriptExec.Daemon.Fleet;

/// <summary>Reads the <c>mqtt</c> and <c>outbound</c> sections; a wrong or unknown key is an <see cref="OptionsException"/> naming it.</summary>
internal static class FleetOptionsReader
{
    private static readonly string[] MqttKeys =
    [
        "url", "device_id", "prefix", "groups", "role", "username", "password", "client_certificate", "client_key", "ca_file",
        "events_filter", "keepalive_s", "queue_size", "queue_max_bytes", "max_concurrent_requests", "reconnect_min_ms", "reconnect_max_ms",
    ];

    private static readonly string[] OutboundKeys = ["url", "token", "role", "reconnect_min_ms", "reconnect_max_ms"];

    // Fields of execution_subscribe's params that hold text even when they look like a number or a boolean.
    private static readonly string[] TextFields = ["script_name", "instance_names", "states", "trigger_types", "usernames"];

    public static MqttOptions? ReadMqtt(IConfiguration configuration)
    {
        var section = configuration.GetSection("mqtt");
        CheckKeys(section, "mqtt", MqttKeys);
        if (section["url"] is not { Length: > 0 } url)
        {
            return null;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("mqtt" or "mqtts") || uri.Host.Length == 0)
        {
            throw new OptionsException($"mqtt.url: '{url}' is not an mqtt:// or mqtts:// URL such as mqtt://broker:1883");
        }

        var certificate = section["client_certificate"];
        var key = section["client_key"];
        if ((certificate is null) != (key is null))
        {
            throw new OptionsException("mqtt.client_certificate and mqtt.client_key go together (PEM files)");
        }

        if (certificate is not null && uri.Scheme != "mqtts")
        {
            throw new OptionsException("mqtt.client_certificate needs an mqtts:// url");
        }

        var min = Int(section, "mqtt.reconnect_min_ms", 1000, 10, 3_600_000);
        var groups = section.GetSection("groups").GetChildren().Select(c => c.Value ?? "").ToList();
        foreach (var (group, i) in groups.Select((g, i) => (g, i)))
        {
            TopicLevel($"mqtt.groups[{i}]", group);
        }

        return new MqttOptions
        {
            Url = uri,
            DeviceId = TopicLevel("mqtt.device_id", section["device_id"] ?? Environment.MachineName),
            Prefix = Prefix(section["prefix"] ?? "scriptexec"),
            Groups = groups,
            Role = RoleOf(section, "mqtt.role"),
            Username = section["username"],
            Password = section["password"],
            ClientCertificate = ExistingFile("mqtt.client_certificate", certificate),
            ClientKey = ExistingFile("mqtt.client_key", key),
            CaFile = ExistingFile("mqtt.ca_file", section["ca_file"]),
            EventsSubscription = EventsSubscription(section.GetSection("events_filter")),
            KeepAlive = TimeSpan.FromSeconds(Int(section, "mqtt.keepalive_s", 30, 5, 3600)),
            QueueSize = Int(section, "mqtt.queue_size", 1000, 1, 1_000_000),
            QueueMaxBytes = Int(section, "mqtt.queue_max_bytes", 4 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
            MaxConcurrentRequests = Int(section, "mqtt.max_concurrent_requests", 4, 1, 256),
            ReconnectMin = TimeSpan.FromMilliseconds(min),
            ReconnectMax = TimeSpan.FromMilliseconds(Int(section, "mqtt.reconnect_max_ms", Math.Max(60_000, min), min, 3_600_000)),
        };
    }

    public static OutboundOptions? ReadOutbound(IConfiguration configuration)
    {
        var section = configuration.GetSection("outbound");
        CheckKeys(section, "outbound", OutboundKeys);
        if (section["url"] is not { Length: > 0 } url)
        {
            return null;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("ws" or "wss"))
        {
            throw new OptionsException($"outbound.url: '{url}' is not a ws:// or wss:// URL");
        }

        var min = Int(section, "outbound.reconnect_min_ms", 1000, 10, 3_600_000);
        return new OutboundOptions
        {
            Url = uri,
            Token = section["token"] is { Length: > 0 } token ? token : throw new OptionsException("outbound.token is required (sent as Authorization: Bearer)"),
            Role = RoleOf(section, "outbound.role"),
            ReconnectMin = TimeSpan.FromMilliseconds(min),
            ReconnectMax = TimeSpan.FromMilliseconds(Int(section, "outbound.reconnect_max_ms", Math.Max(60_000, min), min, 3_600_000)),
        };
    }

    private static void CheckKeys(IConfigurationSection section, string name, string[] known)
    {
        foreach (var child in section.GetChildren())
        {
            if (!known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                throw new OptionsException($"config: unknown key '{name}.{child.Key}' ({name} has {string.Join(", ", known)})");
            }
        }
    }

    private static Role RoleOf(IConfigurationSection section, string key) =>
        section["role"] is not { } text ? Role.Viewer
        : Roles.TryParse(text, out var role) ? role
        : throw new OptionsException($"{key}: '{text}' is not viewer, operator or admin");

    /// <summary>One level of a topic: no separator, no wildcard, not empty.</summary>
    private static string TopicLevel(string key, string value) =>
        value.Length > 0 && value.IndexOfAny(['/', '+', '#', '\0']) < 0
            ? value
            : throw new OptionsException($"{key}: '{value}' must be one MQTT topic level (not empty, no '/', '+', '#')");

    private static string Prefix(string value) =>
        value.Length > 0 && value.IndexOfAny(['+', '#', '\0']) < 0 && !value.StartsWith('/') && !value.EndsWith('/')
            ? value
            : throw new OptionsException($"mqtt.prefix: '{value}' must be a topic without wildcards and without a leading or trailing '/'");

    private static string? ExistingFile(string key, string? path) =>
        path is null || File.Exists(path) ? path : throw new OptionsException($"{key}: {path} does not exist");

    private static int Int(IConfigurationSection section, string key, int fallback, int min, int max)
    {
        var text = section[key[(key.IndexOf('.', StringComparison.Ordinal) + 1)..]];
        if (text is null)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new OptionsException($"{key}: '{text}' must be an integer between {min} and {max}");
    }

    /// <summary>
    /// <c>events_filter</c> as the JSON of <c>execution_subscribe</c>'s params. Configuration keeps only text, so the
    /// object is rebuilt: numbered children make an array, "true"/"false" and integers their JSON kinds, except in
    /// fields that hold names. Absent: every state change, no output; <c>"off"</c>: no events.
    /// </summary>
    private static byte[]? EventsSubscription(IConfigurationSection section)
    {
        if (section.Value is { } scalar)
        {
            return scalar.Equals("off", StringComparison.OrdinalIgnoreCase)
                ? null
                : throw new OptionsException($"mqtt.events_filter: '{scalar}' must be an object {{filter?, output?}} (as execution_subscribe's params) or \"off\"");
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteNode(writer, section, text: false);
        }

        var json = buffer.ToArray();
        using var document = JsonDocument.Parse(json);
        try
        {
            // Checked now as execution_subscribe checks its params: a wrong filter stops the start, naming the field.
            Rpc.Methods.RpcMethods.ReadSubscribeParams(document.RootElement);
        }
        catch (InvalidParameterException e)
        {
            throw new OptionsException($"mqtt.events_filter: {e.Field} {e.Reason}");
        }

        return json;
    }

    private static void WriteNode(Utf8JsonWriter writer, IConfigurationSection node, bool text)
    {
        var children = node.GetChildren().ToList();
        if (children.Count == 0)
        {
            if (node.Value is not { } value)
            {
                writer.WriteStartObject();
                writer.WriteEndObject();
            }
            else if (!text && bool.TryParse(value, out var flag))
            {
                writer.WriteBooleanValue(flag);
            }
            else if (!text && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
            {
                writer.WriteNumberValue(number);
            }
            else
            {
                writer.WriteStringValue(value);
            }

            return;
        }

        var isArray = children.Select((c, i) => c.Key == i.ToString(CultureInfo.InvariantCulture)).All(b => b);
        if (isArray)
        {
            writer.WriteStartArray();
            foreach (var child in children.OrderBy(c => int.Parse(c.Key, CultureInfo.InvariantCulture)))
            {
                WriteNode(writer, child, text);
            }

            writer.WriteEndArray();
            return;
        }

        writer.WriteStartObject();
        foreach (var child in children)
        {
            writer.WritePropertyName(child.Key);
            WriteNode(writer, child, text || TextFields.Contains(child.Key, StringComparer.Ordinal));
        }

        writer.WriteEndObject();
    }
}
