using System.Text.Json.Nodes;
using ScriptExec.Daemon.Tests.Support;

namespace ScriptExec.Daemon.Tests;

/// <summary>xpath start and stop triggers driven through state_set, over both transports.</summary>
public sealed class TriggerTests : TransportFixture
{
    public TriggerTests(string transport)
        : base(transport)
    {
    }

    [Test]
    public async Task A_condition_starts_the_instance_once_per_false_to_true_edge()
    {
        var root = "/" + Guid.NewGuid().ToString("N")[..8];
        var setting = $"{root}/eth0/link = 'up'";
        var (script, instance) = await CreateAsync("true", new { start_trigger = new { type = "xpath", setting } });

        await Client.CallAsync("state_set", new { xpath = root + "/eth0/link", value = "up" });
        var first = await WaitForRunsAsync(script, 1);
        await Client.CallAsync("state_set", new { xpath = root + "/eth0/link", value = "up" });
        await Client.CallAsync("state_set", new { xpath = root + "/eth0/link", value = "down" });
        await Client.CallAsync("state_set", new { xpath = root + "/eth0/link", value = "up" });
        var runs = await WaitForRunsAsync(script, 2);

        Assert.Multiple(() =>
        {
            Assert.That(Describe(first[0]!["start_trigger"]!), Is.EqualTo(("xpath", setting, (string?)null)));
            Assert.That(first[0]!["instance_name"]!.GetValue<string>(), Is.EqualTo(instance));
            Assert.That(runs, Has.Count.EqualTo(2), "setting the same value again started no run");
        });
    }

    [Test]
    public async Task A_stop_condition_stops_the_run_with_an_xpath_stop_trigger()
    {
        var root = "/" + Guid.NewGuid().ToString("N")[..8];
        var setting = $"{root}/stop >= 1";
        var (script, instance) = await CreateAsync("exec sleep 60", new { stop_trigger = new { type = "xpath", setting } });
        var id = (await Client.CallAsync("script_start", new { script_name = script, instance_name = instance }))["execution"]!["id"]!.GetValue<long>();

        await Client.CallAsync("state_set", new { xpath = root + "/stop", value = 1 });
        var ended = await WaitForEndAsync(id);

        Assert.Multiple(() =>
        {
            Assert.That(Describe(ended["stop_trigger"]!), Is.EqualTo(("xpath", setting, (string?)null)));
            Assert.That(ended["state"]!.GetValue<string>(), Is.EqualTo("killed"));
            Assert.That(ended["exit_code"]!.GetValue<int>(), Is.EqualTo(-15));
        });
    }

    [Test]
    public async Task A_bare_path_fires_once_per_real_change_at_or_below_it()
    {
        var root = "/" + Guid.NewGuid().ToString("N")[..8];
        var (script, _) = await CreateAsync("true", new { start_trigger = new { type = "xpath", setting = root + "/net" } });

        // Each change is followed by waiting for its run to end, so no start is dropped as "already running".
        var expected = 0;
        foreach (var (path, value, fires) in new (string, JsonNode?, bool)[]
        {
            ($"{root}/net/eth0/link", "up", true),          // created below
            ($"{root}/net/eth0/link", "up", false),         // same value: no change
            ($"{root}/net/eth0/link", "down", true),        // changed below
            ($"{root}/other", 1, false),                     // elsewhere
            ($"{root}/net/eth0", JsonNode.Parse("""{"link":"down"}"""), false), // same subtree written again
            ($"{root}/net/eth0", null, true),                // deleted
        })
        {
            await Client.CallAsync("state_set", new JsonObject { ["xpath"] = path, ["value"] = value?.DeepClone() });
            expected += fires ? 1 : 0;
            if (fires)
            {
                await WaitForRunsAsync(script, expected);
            }
        }

        // A final real change proves every earlier event was processed; then exactly one run per real change.
        await Client.CallAsync("state_set", new { xpath = $"{root}/net/final", value = true });
        var runs = await WaitForRunsAsync(script, expected + 1);
        Assert.That(runs, Has.Count.EqualTo(expected + 1));
    }

    [Test]
    public async Task State_get_reads_what_state_set_wrote_and_null_deletes()
    {
        var root = "/" + Guid.NewGuid().ToString("N")[..8];

        var set = await Client.CallAsync("state_set", new { xpath = root + "/a", value = new { b = 1, c = "x" } });
        var read = await Client.CallAsync("state_get", new { xpath = root + "/a/c" });
        await Client.CallAsync("state_set", new { xpath = root + "/a", value = (object?)null });
        var gone = await Client.CallAsync("state_get", new { xpath = root + "/a" });

        Assert.Multiple(() =>
        {
            Assert.That(set["value"]!.ToJsonString(), Is.EqualTo("""{"b":1,"c":"x"}"""));
            Assert.That(read["value"]!.GetValue<string>(), Is.EqualTo("x"));
            Assert.That(gone["value"], Is.Null);
        });
    }

    [TestCase("""{"type": "xpath"}""", "start_trigger.setting")]
    [TestCase("""{"type": "xpath", "setting": "no/slash"}""", "start_trigger.setting")]
    [TestCase("""{"type": "xpath", "setting": "/a = up"}""", "start_trigger.setting")]
    [TestCase("""{"type": "xpath", "setting": "/a ~ 'up'"}""", "start_trigger.setting")]
    [TestCase("""{"type": "schedule", "setting": "every minute"}""", "start_trigger.setting")]
    [TestCase("""{"type": "schedule", "setting": "61 * * * *"}""", "start_trigger.setting")]
    [TestCase("""{"type": "schedule"}""", "start_trigger.setting")]
    public async Task Invalid_trigger_settings_are_rejected_naming_the_field(string trigger, string field)
    {
        var (script, _) = await CreateAsync("true");

        var error = await Client.CallErrorAsync("script_instance_set", new JsonObject
        {
            ["script_name"] = script,
            ["instance_name"] = "bad",
            ["start_trigger"] = JsonNode.Parse(trigger),
        });

        Assert.Multiple(() =>
        {
            Assert.That(error["code"]!.GetValue<int>(), Is.EqualTo(-32602));
            Assert.That(error["data"]!["field"]!.GetValue<string>(), Is.EqualTo(field));
        });
    }

    [Test]
    public async Task State_value_nesting_is_bounded()
    {
        var deep = JsonNode.Parse(string.Concat(Enumerable.Repeat("[", 40)) + string.Concat(Enumerable.Repeat("]", 40)));

        var error = await Client.CallErrorAsync("state_set", new JsonObject { ["xpath"] = "/deep", ["value"] = deep });

        Assert.That(error["data"]!["field"]!.GetValue<string>(), Is.EqualTo("value"));
    }

    [Test]
    public async Task State_set_under_a_value_is_refused_naming_xpath()
    {
        var root = "/" + Guid.NewGuid().ToString("N")[..8];
        await Client.CallAsync("state_set", new { xpath = root, value = 5 });

        var error = await Client.CallErrorAsync("state_set", new { xpath = root + "/below", value = 1 });

        Assert.That(error["data"]!["field"]!.GetValue<string>(), Is.EqualTo("xpath"));
    }

    private static (string Type, string? Setting, string? Username) Describe(JsonNode trigger) =>
        (trigger["type"]!.GetValue<string>(), trigger["setting"]?.GetValue<string>(), trigger["username"]?.GetValue<string>());

    private Task<JsonArray> WaitForRunsAsync(string script, int count) =>
        Eventually.ValueAsync(
            async () => (await Client.CallAsync("script_execution_get", new
            {
                filter = new { instances = new[] { new { script_name = script } } },
                pagination = new { limit = -100 },
            }))["executions"]!.AsArray(),
            runs => runs.Count >= count && runs.All(r => r!["state"]!.GetValue<string>() is "finished" or "killed"),
            $"{count} finished runs of {script}");
}
