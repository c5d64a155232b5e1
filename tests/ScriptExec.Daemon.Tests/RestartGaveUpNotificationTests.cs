using System.Text.Json.Nodes;
using ScriptExec.Daemon.Tests.Support;

namespace ScriptExec.Daemon.Tests;

/// <summary>A restart policy that gives up says so to subscribers too, not only in the log and the overview.</summary>
public sealed class RestartGaveUpNotificationTests : TransportFixture
{
    public RestartGaveUpNotificationTests(string transport)
        : base(transport)
    {
    }

    [Test]
    public async Task Giving_up_sends_instance_restart_gave_up_to_a_matching_subscription()
    {
        var (script, instance) = await CreateAsync(
            "exit 1", new { restart = new { on = "failure", delay_s = 1, max_restarts = 1, window_s = 3600 } });
        var subscription = (await Client.CallAsync("execution_subscribe", new
        {
            filter = new { instances = new[] { new { script_name = script } } },
        }))["subscription_id"]!.GetValue<long>();
        await Client.CallAsync("script_start", new { script_name = script, instance_name = instance });

        // Changes of the first run and of its one restart come first; the give-up follows the restart's end.
        JsonObject note;
        do
        {
            note = await Client.NextNotificationAsync();
        }
        while (note["method"]!.GetValue<string>() != "instance_restart_gave_up");

        var gaveUp = note["params"]!;
        var overview = await Client.CallAsync("script_overview_get", new { });
        var shown = overview["scripts"]!.AsArray().Single(s => s!["name"]!.GetValue<string>() == script)!["instances"]![0]!;
        Assert.Multiple(() =>
        {
            Assert.That(gaveUp["subscription_id"]!.GetValue<long>(), Is.EqualTo(subscription));
            Assert.That(gaveUp["script_name"]!.GetValue<string>(), Is.EqualTo(script));
            Assert.That(gaveUp["instance_name"]!.GetValue<string>(), Is.EqualTo(instance));
            Assert.That(gaveUp["restarts"]!.GetValue<int>(), Is.EqualTo(1));
            Assert.That(gaveUp["window_s"]!.GetValue<int>(), Is.EqualTo(3600));
            Assert.That(gaveUp["execution_id"]!.GetValue<long>(), Is.EqualTo(shown["last_execution"]!["id"]!.GetValue<long>()));
            Assert.That(shown["restart_gave_up"]!.GetValue<bool>(), Is.True);
        });
    }
}
