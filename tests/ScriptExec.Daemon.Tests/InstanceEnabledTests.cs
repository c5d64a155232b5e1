using System.Text.Json.Nodes;

namespace ScriptExec.Daemon.Tests;

/// <summary>Lifecycle policy, <c>enabled</c>: a disabled instance's triggers are silent and starts are refused; a run goes on.</summary>
public sealed class InstanceEnabledTests
{
    [Test]
    public async Task A_disabled_instance_is_refused_a_start_and_its_trigger_stays_silent()
    {
        await using var daemon = await DaemonUnderTest.StartAsync();
        await using var client = await daemon.ConnectAsync("unix");
        await client.CallAsync("script_set", new { name = "p", source = "true" });
        await client.CallAsync("script_instance_set", new
        {
            script_name = "p", instance_name = "paused", start_trigger = new { type = "xpath", setting = "/go" }, enabled = false,
        });
        await client.CallAsync("script_instance_set", new
        {
            script_name = "p", instance_name = "probe", start_trigger = new { type = "xpath", setting = "/go" },
        });

        var start = await client.CallErrorAsync("script_start", new { script_name = "p", instance_name = "paused" });
        var rerunOf = await RunOnceAsync(client, "probe");
        await client.CallAsync("script_instance_enabled_set", new { script_name = "p", instance_name = "probe", enabled = false });
        var rerun = await client.CallErrorAsync("script_execution_rerun", new { execution_id = rerunOf });
        await client.CallAsync("script_instance_enabled_set", new { script_name = "p", instance_name = "probe", enabled = true });

        // The probe, watching the same path, shows the engine has handled the change the paused instance ignores.
        await client.CallAsync("state_set", new { xpath = "/go", value = 1 });
        await Eventually.ThatAsync(async () => (await RunsAsync(client, "probe")).Count == 2, "the probe ran on /go");
        var paused = await RunsAsync(client, "paused");
        var got = await client.CallAsync("script_instance_get", new { script_name = "p", instance_name = "paused" });
        var overview = await client.CallAsync("script_overview_get");
        var listed = overview["scripts"]![0]!["instances"]!.AsArray().ToDictionary(i => i!["name"]!.GetValue<string>(), i => i!);

        Assert.Multiple(() =>
        {
            Assert.That(start["code"]!.GetValue<int>(), Is.EqualTo(1006), start.ToJsonString());
            Assert.That(start["data"]?["reason"]?.GetValue<string>(), Is.EqualTo("conflict"));
            Assert.That(start["message"]!.GetValue<string>(), Does.Contain("disabled"));
            Assert.That(rerun["code"]!.GetValue<int>(), Is.EqualTo(1006), rerun.ToJsonString());
            Assert.That(rerun["message"]!.GetValue<string>(), Does.Contain("disabled"));
            Assert.That(paused, Is.Empty, "the disabled instance's trigger did not fire");
            Assert.That(got["enabled"]!.GetValue<bool>(), Is.False);
            Assert.That(listed["paused"]["enabled"]!.GetValue<bool>(), Is.False);
            Assert.That(listed["probe"]["enabled"]!.GetValue<bool>(), Is.True);
        });
    }

    [Test]
    public async Task Disabling_leaves_a_running_execution_alone_and_enabling_allows_starts_again()
    {
        await using var daemon = await DaemonUnderTest.StartAsync();
        await using var client = await daemon.ConnectAsync("unix");
        await client.CallAsync("script_set", new { name = "p", source = "exec sleep 60" });
        await client.CallAsync("script_instance_set", new { script_name = "p", instance_name = "long", start_trigger = new { type = "manual" } });
        var id = (await client.CallAsync("script_start", new { script_name = "p", instance_name = "long" }))["execution"]!["id"]!.GetValue<long>();

        var disabled = await client.CallAsync("script_instance_enabled_set", new { script_name = "p", instance_name = "long", enabled = false });
        var whileDisabled = await ExecutionAsync(client, id);

        // A change of configuration does not undo the pause: enabled, left out, keeps the stored value.
        await client.CallAsync("script_instance_set", new
        {
            script_name = "p", instance_name = "long", arguments = "x", start_trigger = new { type = "manual" },
        });
        var afterChange = await client.CallAsync("script_instance_get", new { script_name = "p", instance_name = "long" });
        await client.CallAsync("script_stop", new { script_name = "p", instance_name = "long", force = true });
        await Eventually.ThatAsync(async () => (await ExecutionAsync(client, id))["state"]!.GetValue<string>() == "killed", "the stop ended it");
        await client.CallAsync("script_instance_enabled_set", new { script_name = "p", instance_name = "long", enabled = true });
        var again = await client.CallAsync("script_start", new { script_name = "p", instance_name = "long" });
        await client.CallAsync("script_stop", new { script_name = "p", instance_name = "long", force = true });

        Assert.Multiple(() =>
        {
            Assert.That(disabled["enabled"]!.GetValue<bool>(), Is.False);
            Assert.That(whileDisabled["state"]!.GetValue<string>(), Is.EqualTo("running"), "disabling does not touch a run");
            Assert.That(afterChange["enabled"]!.GetValue<bool>(), Is.False);
            Assert.That(again["execution"]!["state"]!.GetValue<string>(), Is.EqualTo("running"));
        });
    }

    private static async Task<long> RunOnceAsync(RpcClient client, string instance)
    {
        var id = (await client.CallAsync("script_start", new { script_name = "p", instance_name = instance }))["execution"]!["id"]!.GetValue<long>();
        await Eventually.ThatAsync(async () => (await ExecutionAsync(client, id))["state"]!.GetValue<string>() == "finished", $"{instance} ended");
        return id;
    }

    private static async Task<JsonNode> ExecutionAsync(RpcClient client, long id) =>
        (await client.CallAsync("script_execution_output_get", new { filter = new { execution_id = id }, pagination = new { limit = 1 } }))["execution"]!;

    private static async Task<JsonArray> RunsAsync(RpcClient client, string instance) =>
        (await client.CallAsync("script_execution_get", new
        {
            filter = new { instances = new[] { new { script_name = "p", instance_names = new[] { instance } } } },
            pagination = new { limit = -100 },
        }))["executions"]!.AsArray();
}
