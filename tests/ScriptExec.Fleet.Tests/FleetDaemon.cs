using System.Text.Json;
using System.Text.Json.Nodes;

namespace ScriptExec.Fleet.Tests;

/// <summary>Starts a daemon whose config file holds the given fleet sections, and reads its <c>status</c>.</summary>
public static class FleetDaemon
{
    /// <summary>An <c>mqtt</c> section for <paramref name="broker"/> that reconnects quickly (tests wait on it).</summary>
    public static JsonObject MqttSection(Mosquitto broker, string deviceId, string role = "operator") => new()
    {
        ["url"] = broker.Url,
        ["device_id"] = deviceId,
        ["prefix"] = "fleet",
        ["groups"] = new JsonArray("all", "line1"),
        ["role"] = role,
        ["reconnect_min_ms"] = 100,
        ["reconnect_max_ms"] = 1000,
    };

    /// <summary>Writes <paramref name="config"/> as the daemon's config file and starts it (in-process, or the binary CI names).</summary>
    public static Task<DaemonUnderTest> StartAsync(JsonObject config) => DaemonUnderTest.StartAsync(null, "--config", WriteConfig(config));

    public static string WriteConfig(JsonObject config)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("scriptexec-fleet-config-").FullName, "config.json");
        File.WriteAllText(path, config.ToJsonString());
        return path;
    }

    public static async Task<JsonNode> StatusAsync(DaemonUnderTest daemon)
    {
        await using var client = await daemon.ConnectAsync("unix");
        return await client.CallAsync("status", new { });
    }

    /// <summary>The one channel of <paramref name="transport"/> in <c>status</c>.</summary>
    public static async Task<JsonNode> ChannelAsync(DaemonUnderTest daemon, string transport)
    {
        var status = await StatusAsync(daemon);
        return status["channels"]!.AsArray().Single(c => (string)c!["transport"]! == transport)!;
    }

    /// <summary>Sets a script and a manual instance <c>name/main</c> that prints a line and exits 0 (over the Unix socket, as admin).</summary>
    public static async Task AddScriptAsync(DaemonUnderTest daemon, string name)
    {
        await using var client = await daemon.ConnectAsync("unix");
        await client.CallAsync("script_set", new { name, source = "#!/bin/sh\necho hello\n" });
        await client.CallAsync("script_instance_set", new { script_name = name, instance_name = "main", start_trigger = new { type = "manual" } });
    }

    public static string Request(object id, string method, object? parameters = null) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["jsonrpc"] = "2.0",
            ["id"] = id,
            ["method"] = method,
            ["params"] = parameters ?? new { },
        });
}
