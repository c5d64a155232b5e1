using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace ScriptExec.Benchmarks;

/// <summary>
/// The fleet: N daemons on this machine (each its own data dir, socket and device_id) connected to one local
/// Mosquitto. Measures a group-topic request until all N replies are in (against the same fan-out over N WebSockets
/// opened by one client), events through the broker while every device runs a script, and the reconnect storm after
/// the broker restarts.
/// </summary>
internal static class Fleet
{
    private const string Prefix = "bench";
    private const string Group = "all";
    private const double MiB = 1024 * 1024;

    /// <summary>How many daemons start at once: start-up is CPU-bound, more at once only queues on the cores.</summary>
    private const int StartParallelism = 4;

    public static async Task<JsonNode> RunAsync(Builds builds, string temp, BenchOptions options, Report report, CancellationToken cancellationToken)
    {
        // The native build is what a device runs, and it lets more daemons fit; the JIT build stands in without it.
        var build = builds.Native.Runs ? builds.Native : builds.Jit;
        Mosquitto broker;
        try
        {
            broker = await Mosquitto.StartAsync();
        }
        catch (NUnit.Framework.IgnoreException missing)
        {
            // The kit reports a broker it could not install as an ignored test; here it is a figure not measured.
            report.Add(Check.NotMeasured("fleet.group_request_all_replies", "none", missing.Message));
            return new JsonObject { ["available"] = false, ["reason"] = missing.Message };
        }

        await using var stopBroker = broker;
        var directory = Directory.CreateDirectory(Path.Combine(temp, "fleet")).FullName;
        var devices = new List<DaemonProcess>();
        try
        {
            var started = Stopwatch.GetTimestamp();
            await StartDevicesAsync(build, directory, broker, options.FleetDevices, devices, cancellationToken);
            var startSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            Progress.Say($"  {devices.Count} daemons ({build.Name}) started in {startSeconds:F1} s; broker on port {broker.Port}");

            await using var client = await FleetClient.ConnectAsync(broker.Port, Prefix, cancellationToken);
            var online = await client.WaitOnlineAsync(devices.Count, cancellationToken);

            var mqtt = await client.FanOutAsync(Group, devices.Count, options.FleetRounds, cancellationToken);
            var webSocket = await WebSocketFanOutAsync(devices, options.FleetRounds, cancellationToken);
            report.Scope = build.Name;
            report.Add(Check.Info("fleet.group_request_all_replies.p50", mqtt.P50, "ms", $"{devices.Count} devices"));
            report.Add(Check.Info("fleet.group_request_all_replies.p99", mqtt.P99, "ms", $"{devices.Count} devices"));
            report.Add(Check.Info("fleet.websocket_fan_out.p50", webSocket.P50, "ms", $"{devices.Count} WebSockets from one client"));

            var events = await EventsAsync(devices, client, options, cancellationToken);
            var storm = await ReconnectStormAsync(broker, devices.Count, cancellationToken);
            report.Add(Check.Info("fleet.reconnect_storm_all_online", storm, "s", $"{devices.Count} devices"));
            report.Scope = null;

            var memory = devices.Select(d => d.Memory().Rss).ToList();
            return new JsonObject
            {
                ["build"] = build.Name,
                ["devices"] = devices.Count,
                ["devices_note"] = "N daemons on this 2-core machine, one Mosquitto; --fleet-devices sets N",
                ["start_all_s"] = Report.Round(startSeconds),
                ["online_after_start_s"] = Report.Round(online.TotalSeconds),
                ["rss_per_device_mib"] = Report.Round(memory.Average() / MiB),
                ["rss_all_devices_mib"] = Report.Round(memory.Sum() / MiB),
                ["group_request_all_replies_ms"] = mqtt.ToJson(),
                ["websocket_fan_out_ms"] = webSocket.ToJson(),
                ["events"] = events,
                ["reconnect_storm_all_online_s"] = Report.Round(storm),
            };
        }
        finally
        {
            await Task.WhenAll(devices.Select(d => d.DisposeAsync().AsTask()));
        }
    }

    private static async Task StartDevicesAsync(
        ProgramBuild build, string directory, Mosquitto broker, int count, List<DaemonProcess> devices, CancellationToken cancellationToken)
    {
        using var gate = new SemaphoreSlim(StartParallelism);
        var starts = Enumerable.Range(0, count).Select(async index =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                var name = DeviceId(index);
                var daemon = await BenchDaemons.StartAsync(build, directory, name, DeviceConfig(broker, name), cancellationToken);
                lock (devices)
                {
                    devices.Add(daemon);
                }
            }
            finally
            {
                gate.Release();
            }
        });
        await Task.WhenAll(starts);
    }

    private static string DeviceId(int index) => string.Create(CultureInfo.InvariantCulture, $"dev-{index:D4}");

    private static JsonObject DeviceConfig(Mosquitto broker, string deviceId) => new()
    {
        ["mqtt"] = new JsonObject
        {
            ["url"] = broker.Url,
            ["device_id"] = deviceId,
            ["prefix"] = Prefix,
            ["groups"] = new JsonArray(Group),
            ["role"] = "operator",
            // Output lines too, so the events figure is the broker's message rate, not a handful of state changes.
            ["events_filter"] = new JsonObject { ["output"] = true },
        },
    };

    /// <summary>The same request sent to every device over its own WebSocket, all from one client; timed until every reply is in.</summary>
    private static async Task<Samples> WebSocketFanOutAsync(List<DaemonProcess> devices, int rounds, CancellationToken cancellationToken)
    {
        var clients = await Task.WhenAll(devices.Select(d => RpcClient.ConnectWebSocketAsync(d.WebSocketUri, d.Token, cancellationToken)));
        try
        {
            await Task.WhenAll(clients.Select(c => c.CallAsync("status")));
            var samples = new Samples();
            for (var round = 0; round < rounds; round++)
            {
                var start = Stopwatch.GetTimestamp();
                await Task.WhenAll(clients.Select(c => c.CallAsync("status")));
                samples.AddSince(start);
            }

            return samples;
        }
        finally
        {
            await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
        }
    }

    /// <summary>
    /// Every device runs a script printing <see cref="BenchOptions.FleetEventLines"/> lines, started by one group
    /// request; the events arriving on <c>&lt;prefix&gt;/+/events</c> are counted until every device reported its run's end.
    /// </summary>
    private static async Task<JsonObject> EventsAsync(List<DaemonProcess> devices, FleetClient client, BenchOptions options, CancellationToken cancellationToken)
    {
        var script = string.Create(CultureInfo.InvariantCulture, $"#!/bin/sh\ni=0\nwhile [ $i -lt {options.FleetEventLines} ]; do echo \"line $i\"; i=$((i+1)); done\n");
        await Task.WhenAll(devices.Select(d => InstanceRunner.DefineAsync(d, "talk", script, ["run"], cancellationToken)));

        var counted = await client.CountEventsAsync(
            Group, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"script_start\",\"params\":{\"script_name\":\"talk\",\"instance_name\":\"run\"}}",
            devices.Count, cancellationToken);
        return new JsonObject
        {
            ["lines_per_device"] = options.FleetEventLines,
            ["events"] = counted.Events,
            ["bytes"] = counted.Bytes,
            ["seconds"] = Report.Round(counted.Elapsed.TotalSeconds),
            ["events_per_s"] = Report.Round(counted.Events / counted.Elapsed.TotalSeconds),
            // Output notifications carry several lines each: the lines are what the scripts produced.
            ["lines_per_s"] = Report.Round((double)options.FleetEventLines * devices.Count / counted.Elapsed.TotalSeconds),
            ["kinds"] = counted.Kinds,
        };
    }

    /// <summary>Restarts the broker and times until every device has published its retained online flag again.</summary>
    private static async Task<double> ReconnectStormAsync(Mosquitto broker, int count, CancellationToken cancellationToken)
    {
        await broker.StopAsync();
        var start = Stopwatch.GetTimestamp();
        await broker.StartAgainAsync();
        await using var client = await FleetClient.ConnectAsync(broker.Port, Prefix, cancellationToken);
        await client.WaitOnlineAsync(count, cancellationToken);
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}
