using System.Text;
using Microsoft.Extensions.Configuration;
using ScriptExec.Daemon;
using ScriptExec.Daemon.Fleet;

namespace ScriptExec.Fleet.Tests;

/// <summary>The <c>mqtt</c> and <c>outbound</c> sections as the config file gives them.</summary>
public sealed class FleetOptionsTests
{
    [Test]
    public void Events_filter_becomes_execution_subscribe_params_with_names_kept_as_text()
    {
        var mqtt = ReadMqtt("""
            {"mqtt": {"url": "mqtt://b", "device_id": "d", "events_filter": {
              "filter": {"instances": [{"script_name": "123", "instance_names": ["true"]}], "exit_codes": [1, 2], "states": ["finished"]},
              "output": true}}}
            """);

        Assert.That(Encoding.UTF8.GetString(mqtt!.EventsSubscription!), Is.EqualTo(
            """{"filter":{"exit_codes":[1,2],"instances":[{"instance_names":["true"],"script_name":"123"}],"states":["finished"]},"output":true}"""));
    }

    [Test]
    public void A_wrong_events_filter_stops_the_start_naming_its_field()
    {
        var e = Assert.Throws<OptionsException>(() => ReadMqtt("""{"mqtt": {"url": "mqtt://b", "events_filter": {"filter": {"states": ["sleeping"]}}}}"""));

        Assert.That(e!.Message, Does.StartWith("mqtt.events_filter:").And.Contain("states"));
    }

    [TestCase("""{"mqtt": {"url": "http://b"}}""", "mqtt.url")]
    [TestCase("""{"mqtt": {"url": "mqtt://b", "device_id": "a/b"}}""", "mqtt.device_id")]
    [TestCase("""{"mqtt": {"url": "mqtt://b", "groups": ["ok", "x+"]}}""", "mqtt.groups[1]")]
    [TestCase("""{"mqtt": {"url": "mqtt://b", "role": "root"}}""", "mqtt.role")]
    [TestCase("""{"mqtt": {"url": "mqtt://b", "qos": 2}}""", "mqtt.qos")]
    [TestCase("""{"outbound": {"url": "wss://m"}}""", "outbound.token")]
    [TestCase("""{"outbound": {"url": "http://m", "token": "t"}}""", "outbound.url")]
    public void Wrong_keys_are_refused_by_name(string json, string key)
    {
        var e = Assert.Throws<OptionsException>(() =>
        {
            var configuration = Configuration(json);
            FleetOptionsReader.ReadMqtt(configuration);
            FleetOptionsReader.ReadOutbound(configuration);
        });

        Assert.That(e!.Message, Does.Contain(key));
    }

    [Test]
    public void Without_a_url_the_channels_are_off_and_defaults_are_documented_ones()
    {
        Assert.That(FleetOptionsReader.ReadMqtt(Configuration("{}")), Is.Null);
        Assert.That(FleetOptionsReader.ReadOutbound(Configuration("{}")), Is.Null);

        var mqtt = ReadMqtt("""{"mqtt": {"url": "mqtt://b", "device_id": "d"}}""")!;
        Assert.That(mqtt.RequestTopic, Is.EqualTo("scriptexec/d/rpc"));
        Assert.That(mqtt.Role, Is.EqualTo(Core.Role.Viewer));
        Assert.That(Encoding.UTF8.GetString(mqtt.EventsSubscription!), Is.EqualTo("{}"));
        Assert.That(ReadMqtt("""{"mqtt": {"url": "mqtt://b", "events_filter": "off"}}""")!.EventsSubscription, Is.Null);
    }

    private static MqttOptions? ReadMqtt(string json) => FleetOptionsReader.ReadMqtt(Configuration(json));

    private static IConfiguration Configuration(string json) =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
}
