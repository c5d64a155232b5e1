using System.Text.Json.Nodes;

namespace ScriptExec.Fleet.Tests;

/// <summary>The MQTT channel against a real Mosquitto: both topic kinds, both reply conventions, the JSON-RPC layer, events, the online flag.</summary>
[TestFixture]
public sealed class MqttChannelTests
{
    private const string Device = "dev1";
    private Mosquitto _broker = null!;
    private DaemonUnderTest _daemon = null!;
    private MqttTestClient _manager = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _broker = await Mosquitto.StartAsync();
        _manager = await MqttTestClient.ConnectAsync(_broker);
        await _manager.SubscribeAsync($"fleet/{Device}/events");
        _daemon = await FleetDaemon.StartAsync(new JsonObject { ["mqtt"] = FleetDaemon.MqttSection(_broker, Device) });
        await Eventually.ThatAsync(async () => (bool)(await FleetDaemon.ChannelAsync(_daemon, "mqtt"))["connected"]!, "the channel to connect");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _daemon.DisposeAsync();
        await _manager.DisposeAsync();
        await _broker.DisposeAsync();
    }

    [Test]
    public async Task Request_on_the_device_topic_is_answered_on_its_response_topic_with_its_correlation_data()
    {
        var (reply, _) = await _manager.RequestAsync($"fleet/{Device}/rpc", FleetDaemon.Request("a-1", "status"));

        Assert.That((string)reply["id"]!, Is.EqualTo("a-1"));
        Assert.That(reply["result"]!["pid"]!.GetValue<int>(), Is.EqualTo(_daemon.Pid));
    }

    [Test]
    public async Task Request_on_a_group_topic_is_answered()
    {
        var (reply, message) = await _manager.RequestAsync("fleet/group/line1/rpc", FleetDaemon.Request(2, "script_overview_get"));

        Assert.That(reply["id"]!.GetValue<int>(), Is.EqualTo(2));
        Assert.That(System.Text.Encoding.UTF8.GetString(message.UserProperties.Single(p => p.Name == "device_id").ValueBuffer.ToArray()), Is.EqualTo(Device), "the reply names its device");
        Assert.That(reply["result"]!["scripts"], Is.Not.Null);
    }

    [Test]
    public async Task Request_with_src_is_answered_on_src_rpc_with_src_and_dst_as_Shelly_does()
    {
        await _manager.SubscribeAsync("manager-7/rpc");

        await _manager.PublishAsync($"fleet/{Device}/rpc", """{"jsonrpc":"2.0","id":7,"src":"manager-7","method":"status","params":{}}""");

        var reply = MqttTestClient.Parse(await _manager.NextAsync("manager-7/rpc"));
        Assert.That(reply["id"]!.GetValue<int>(), Is.EqualTo(7));
        Assert.That((string)reply["src"]!, Is.EqualTo(Device));
        Assert.That((string)reply["dst"]!, Is.EqualTo("manager-7"));
        Assert.That(reply["result"]!["version"], Is.Not.Null);
    }

    [Test]
    public async Task Batch_is_answered_with_one_array_without_the_notifications()
    {
        var batch = $"[{FleetDaemon.Request(1, "status")},{FleetDaemon.Request(2, "no_such_method")},"
            + """{"jsonrpc":"2.0","method":"status","params":{}}]""";

        var (reply, _) = await _manager.RequestAsync($"fleet/{Device}/rpc", batch);

        var members = reply.AsArray();
        Assert.That(members, Has.Count.EqualTo(2));
        var byId = members.ToDictionary(m => m!["id"]!.GetValue<int>());
        Assert.That(byId[1]!["result"], Is.Not.Null);
        Assert.That(byId[2]!["error"]!["code"]!.GetValue<int>(), Is.EqualTo(-32601));
    }

    [Test]
    public async Task Invalid_json_is_answered_with_a_parse_error_and_the_channel_keeps_serving()
    {
        var (reply, _) = await _manager.RequestAsync($"fleet/{Device}/rpc", "{\"jsonrpc\": \"2.0\", \"method\": ");

        Assert.That(reply["error"]!["code"]!.GetValue<int>(), Is.EqualTo(-32700));
        Assert.That(reply["id"], Is.Null);
        var (next, _) = await _manager.RequestAsync($"fleet/{Device}/rpc", FleetDaemon.Request(3, "status"));
        Assert.That(next["result"], Is.Not.Null);
    }

    [Test]
    public async Task Method_errors_keep_their_codes_and_data()
    {
        var (missing, _) = await _manager.RequestAsync($"fleet/{Device}/rpc", FleetDaemon.Request(4, "script_get", new { name = "nope" }));
        var (invalid, _) = await _manager.RequestAsync(
            $"fleet/{Device}/rpc", FleetDaemon.Request(5, "script_execution_get", new { pagination = new { limit = 0 } }));

        Assert.That(missing["error"]!["code"]!.GetValue<int>(), Is.EqualTo(1001));
        Assert.That((string)missing["error"]!["data"]!["reason"]!, Is.EqualTo("not_found"));
        Assert.That(invalid["error"]!["code"]!.GetValue<int>(), Is.EqualTo(-32602));
        Assert.That((string)invalid["error"]!["data"]!["field"]!, Is.EqualTo("pagination.limit"));
    }

    [Test]
    public async Task Connection_state_methods_are_refused_as_not_available()
    {
        var (reply, _) = await _manager.RequestAsync($"fleet/{Device}/rpc", FleetDaemon.Request(6, "execution_subscribe"));

        Assert.That(reply["error"]!["code"]!.GetValue<int>(), Is.EqualTo(-32601));
        Assert.That((string)reply["error"]!["message"]!, Does.Contain("execution_subscribe").And.Contain("mqtt"));
    }

    [Test]
    public async Task A_run_started_over_mqtt_is_published_on_the_events_topic()
    {
        await FleetDaemon.AddScriptAsync(_daemon, "evented");

        var (started, _) = await _manager.RequestAsync(
            $"fleet/{Device}/rpc", FleetDaemon.Request(8, "script_start", new { script_name = "evented", instance_name = "main" }));
        var id = started["result"]!["execution"]!["id"]!.GetValue<long>();

        JsonNode? execution;
        do
        {
            var notification = MqttTestClient.Parse(await _manager.NextAsync($"fleet/{Device}/events"));
            Assert.That((string)notification["method"]!, Is.EqualTo("execution_changed"));
            execution = notification["params"]!["execution"];
        }
        while (execution!["id"]!.GetValue<long>() != id || (string)execution["state"]! != "finished");

        Assert.That(execution["exit_code"]!.GetValue<int>(), Is.Zero);
    }

    [Test]
    public async Task The_online_flag_is_retained_true_and_status_shows_the_channel()
    {
        Assert.That(await MqttTestClient.RetainedAsync(_broker, $"fleet/{Device}/online"), Is.EqualTo("true"));

        var status = await FleetDaemon.StatusAsync(_daemon);
        var channel = status["channels"]!.AsArray().Single()!;
        Assert.That((string)channel["transport"]!, Is.EqualTo("mqtt"));
        Assert.That((string)channel["device_id"]!, Is.EqualTo(Device));
        Assert.That((string)channel["role"]!, Is.EqualTo("operator"));
        Assert.That(channel["dropped_messages"]!.GetValue<long>(), Is.Zero);
        Assert.That(status["clients"]!["mqtt"]!.GetValue<int>(), Is.EqualTo(1));
    }
}
