using System.Text.Json.Nodes;

namespace ScriptExec.Fleet.Tests;

/// <summary>The channel's role, broker credentials, reconnection after a broker restart, and the last will after kill -9.</summary>
[TestFixture]
public sealed class MqttConnectionTests
{
    [Test]
    public async Task A_viewer_channel_is_refused_script_start_with_forbidden()
    {
        await using var broker = await Mosquitto.StartAsync();
        await using var manager = await MqttTestClient.ConnectAsync(broker);
        await using var daemon = await FleetDaemon.StartAsync(new JsonObject { ["mqtt"] = FleetDaemon.MqttSection(broker, "viewer1", role: "viewer") });
        await FleetDaemon.AddScriptAsync(daemon, "guarded");
        await WaitConnectedAsync(daemon);

        var (refused, _) = await manager.RequestAsync(
            "fleet/viewer1/rpc", FleetDaemon.Request(1, "script_start", new { script_name = "guarded", instance_name = "main" }));
        var (allowed, _) = await manager.RequestAsync("fleet/viewer1/rpc", FleetDaemon.Request(2, "status"));

        Assert.That(refused["error"]!["code"]!.GetValue<int>(), Is.EqualTo(1004));
        Assert.That((string)refused["error"]!["data"]!["reason"]!, Is.EqualTo("forbidden"));
        Assert.That((string)refused["error"]!["message"]!, Does.Contain("operator"));
        Assert.That(allowed["result"], Is.Not.Null);
    }

    [Test]
    public async Task Username_and_password_are_presented_to_the_broker()
    {
        await using var broker = await Mosquitto.StartAsync(user: "device", password: "s3cret");
        await using var manager = await MqttTestClient.ConnectAsync(broker, "device", "s3cret");
        var right = FleetDaemon.MqttSection(broker, "authed");
        right["username"] = "device";
        right["password"] = "s3cret";
        var wrong = FleetDaemon.MqttSection(broker, "refused");
        wrong["username"] = "device";
        wrong["password"] = "wrong";
        await using var daemon = await FleetDaemon.StartAsync(new JsonObject { ["mqtt"] = right });
        await using var refusedDaemon = await FleetDaemon.StartAsync(new JsonObject { ["mqtt"] = wrong });
        await WaitConnectedAsync(daemon);

        var (reply, _) = await manager.RequestAsync("fleet/authed/rpc", FleetDaemon.Request(1, "status"));

        Assert.That(reply["result"], Is.Not.Null);
        var refused = await Eventually.ValueAsync(
            () => FleetDaemon.ChannelAsync(refusedDaemon, "mqtt"), c => c["last_error"] is not null, "the wrong password to be refused");
        Assert.That((bool)refused["connected"]!, Is.False);
        Assert.That(refused["connects"]!.GetValue<long>(), Is.Zero);
    }

    [Test]
    public async Task Mqtts_with_a_client_certificate_and_a_ca_file_connects_and_serves()
    {
        await using var broker = await Mosquitto.StartWithTlsAsync();
        await using var manager = await MqttTestClient.ConnectAsync(broker);
        var section = FleetDaemon.MqttSection(broker, "tls1");
        section["url"] = $"mqtts://127.0.0.1:{broker.TlsPort}";
        section["ca_file"] = broker.Certificates!.CaPath;
        section["client_certificate"] = broker.Certificates.ClientCertificatePath;
        section["client_key"] = broker.Certificates.ClientKeyPath;
        await using var daemon = await FleetDaemon.StartAsync(new JsonObject { ["mqtt"] = section });
        await WaitConnectedAsync(daemon);

        var (reply, _) = await manager.RequestAsync("fleet/tls1/rpc", FleetDaemon.Request(1, "status"));

        Assert.That(reply["result"], Is.Not.Null);
        Assert.That(broker.Log, Does.Contain("device-tls"), "the broker took the client certificate's name as the username");
    }

    [Test]
    public async Task After_the_broker_restarts_the_channel_reconnects_resubscribes_and_is_online_again()
    {
        await using var broker = await Mosquitto.StartAsync();
        await using var daemon = await FleetDaemon.StartAsync(new JsonObject { ["mqtt"] = FleetDaemon.MqttSection(broker, "phoenix") });
        await WaitConnectedAsync(daemon);

        await broker.StopAsync();
        await Eventually.ThatAsync(async () => !(bool)(await FleetDaemon.ChannelAsync(daemon, "mqtt"))["connected"]!, "the channel to see the broker gone");
        await broker.StartAgainAsync();

        var channel = await Eventually.ValueAsync(
            () => FleetDaemon.ChannelAsync(daemon, "mqtt"), c => (bool)c["connected"]!, "the channel to reconnect");
        Assert.That(channel["connects"]!.GetValue<long>(), Is.EqualTo(2));
        await using var manager = await MqttTestClient.ConnectAsync(broker);
        var (reply, _) = await manager.RequestAsync("fleet/phoenix/rpc", FleetDaemon.Request(1, "status"));
        Assert.That(reply["result"], Is.Not.Null);
        var (grouped, _) = await manager.RequestAsync("fleet/group/all/rpc", FleetDaemon.Request(2, "status"));
        Assert.That(grouped["result"], Is.Not.Null);
        Assert.That(await MqttTestClient.RetainedAsync(broker, "fleet/phoenix/online"), Is.EqualTo("true"));
    }

    [Test]
    public async Task While_the_broker_is_away_events_wait_in_a_bounded_queue_that_counts_what_it_drops()
    {
        await using var broker = await Mosquitto.StartAsync();
        var section = FleetDaemon.MqttSection(broker, "queued");
        section["queue_size"] = 3;
        await using var daemon = await FleetDaemon.StartAsync(new JsonObject { ["mqtt"] = section });
        await FleetDaemon.AddScriptAsync(daemon, "busy");
        await WaitConnectedAsync(daemon);

        await broker.StopAsync();
        await Eventually.ThatAsync(async () => !(bool)(await FleetDaemon.ChannelAsync(daemon, "mqtt"))["connected"]!, "the channel to see the broker gone");
        await using (var client = await daemon.ConnectAsync("unix"))
        {
            // Each run is at least two events (running, finished): six or more for a queue of three.
            for (var i = 0; i < 3; i++)
            {
                await client.CallAsync("script_start", new { script_name = "busy", instance_name = "main" });
                await Eventually.ThatAsync(
                    async () => (await client.CallAsync("status", new { }))["running"]!.AsArray().Count == 0, "the run to end");
            }
        }

        var away = await Eventually.ValueAsync(
            () => FleetDaemon.ChannelAsync(daemon, "mqtt"), c => c["dropped_messages"]!.GetValue<long>() >= 3, "the queue to overflow");
        Assert.That(away["queued_messages"]!.GetValue<int>(), Is.EqualTo(3));

        await broker.StartAgainAsync();
        var back = await Eventually.ValueAsync(
            () => FleetDaemon.ChannelAsync(daemon, "mqtt"), c => (bool)c["connected"]! && c["queued_messages"]!.GetValue<int>() == 0, "the queue to be published");
        Assert.That(back["dropped_messages"]!.GetValue<long>(), Is.EqualTo(away["dropped_messages"]!.GetValue<long>()), "nothing more dropped once connected");
    }

    [Test]
    public async Task Kill_9_leaves_online_false_through_the_last_will_and_a_clean_stop_says_false_itself()
    {
        await using var broker = await Mosquitto.StartAsync();
        await using var manager = await MqttTestClient.ConnectAsync(broker);
        await manager.SubscribeAsync("fleet/mortal/online");
        await manager.SubscribeAsync("fleet/graceful/online");
        var killed = await DaemonProcess.StartAsync(new DaemonLaunch(Directory.CreateTempSubdirectory("scriptexec-fleet-").FullName)
        {
            ExtraArgs = ["--config", FleetDaemon.WriteConfig(new JsonObject { ["mqtt"] = FleetDaemon.MqttSection(broker, "mortal") })],
        });
        await using (killed)
        {
            await manager.NextWithAsync("fleet/mortal/online", "true");
            await killed.KillAsync();
        }

        await manager.NextWithAsync("fleet/mortal/online", "false");
        Assert.That(await MqttTestClient.RetainedAsync(broker, "fleet/mortal/online"), Is.EqualTo("false"));

        var stopped = await FleetDaemon.StartAsync(new JsonObject { ["mqtt"] = FleetDaemon.MqttSection(broker, "graceful") });
        await manager.NextWithAsync("fleet/graceful/online", "true");
        await stopped.DisposeAsync();
        await manager.NextWithAsync("fleet/graceful/online", "false");
        Assert.That(await MqttTestClient.RetainedAsync(broker, "fleet/graceful/online"), Is.EqualTo("false"));
    }

    private static Task WaitConnectedAsync(DaemonUnderTest daemon) =>
        Eventually.ThatAsync(async () => (bool)(await FleetDaemon.ChannelAsync(daemon, "mqtt"))["connected"]!, "the channel to connect");
}
