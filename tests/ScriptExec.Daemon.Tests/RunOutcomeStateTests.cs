using System.Text.Json.Nodes;

namespace ScriptExec.Daemon.Tests;

/// <summary>Lifecycle policy: every run's outcome at /scriptexec/&lt;script&gt;/&lt;instance&gt;/last, chaining instances through xpath triggers.</summary>
public sealed class RunOutcomeStateTests
{
    [Test]
    public async Task A_failing_run_starts_a_handler_through_the_state_tree_and_its_outcome_is_stored()
    {
        var dataDir = Directory.CreateTempSubdirectory("scriptexec-outcome-").FullName;
        long failedId;
        JsonNode last;
        JsonArray handled;
        var daemon = await DaemonUnderTest.StartAsync(dataDir);
        await using (var client = await daemon.ConnectAsync("unix"))
        {
            await client.CallAsync("script_set", new { name = "a", source = "exit 3" });
            await client.CallAsync("script_instance_set", new { script_name = "a", instance_name = "x", start_trigger = new { type = "manual" } });
            await client.CallAsync("script_set", new { name = "b", source = "true" });
            await client.CallAsync("script_instance_set", new
            {
                script_name = "b", instance_name = "on-failure",
                start_trigger = new { type = "xpath", setting = "/scriptexec/a/x/last/exit_code != 0" },
            });

            failedId = (await client.CallAsync("script_start", new { script_name = "a", instance_name = "x" }))["execution"]!["id"]!.GetValue<long>();
            handled = await Eventually.ValueAsync(
                async () => (await client.CallAsync("script_execution_get", new
                {
                    filter = new { instances = new[] { new { script_name = "b" } } },
                    pagination = new { limit = -10 },
                }))["executions"]!.AsArray(),
                runs => runs.Count >= 1,
                "the handler ran after a's failure");
            last = (await client.CallAsync("state_get", new { xpath = "/scriptexec/a/x/last" }))["value"]!;
        }

        await daemon.StopAsync();

        // Stored with the end record: a new daemon on the same store reads the same outcome.
        await using var restarted = await DaemonUnderTest.StartAsync(dataDir);
        await using var again = await restarted.ConnectAsync("unix");
        var stored = (await again.CallAsync("state_get", new { xpath = "/scriptexec/a/x/last" }))["value"]!;

        Assert.Multiple(() =>
        {
            Assert.That(handled, Has.Count.EqualTo(1));
            Assert.That(handled[0]!["start_trigger"]!["type"]!.GetValue<string>(), Is.EqualTo("xpath"));
            Assert.That(last["execution_id"]!.GetValue<long>(), Is.EqualTo(failedId));
            Assert.That(last["state"]!.GetValue<string>(), Is.EqualTo("finished"));
            Assert.That(last["exit_code"]!.GetValue<int>(), Is.EqualTo(3));
            Assert.That(last["end_timestamp"]!.GetValue<long>(), Is.GreaterThan(0));
            Assert.That(JsonNode.DeepEquals(stored, last), Is.True, $"{stored.ToJsonString()} vs {last.ToJsonString()}");
        });
    }

    [Test]
    public async Task An_instance_watching_its_own_outcome_path_is_not_started_again_by_it()
    {
        await using var daemon = await DaemonUnderTest.StartAsync();
        await using var client = await daemon.ConnectAsync("unix");
        await client.CallAsync("script_set", new { name = "a", source = "true" });
        await client.CallAsync("script_instance_set", new
        {
            script_name = "a", instance_name = "self", start_trigger = new { type = "xpath", setting = "/scriptexec/a/self/last" },
        });

        // The probe watches the same path: once it has run twice, both of self's outcomes have been evaluated.
        await client.CallAsync("script_instance_set", new
        {
            script_name = "a", instance_name = "probe", start_trigger = new { type = "xpath", setting = "/scriptexec/a/self/last" },
        });
        for (var run = 1; run <= 2; run++)
        {
            await client.CallAsync("script_start", new { script_name = "a", instance_name = "self" });
            var count = run;
            await Eventually.ValueAsync(() => RunsAsync(client, "probe"), runs => runs.Count >= count && Ended(runs), $"probe ran {count} times");
        }

        var self = await RunsAsync(client, "self");

        Assert.That(self.Select(r => r!["start_trigger"]!["type"]!.GetValue<string>()), Is.EqualTo(new[] { "manual", "manual" }));
    }

    private static bool Ended(JsonArray runs) => runs.All(r => r!["state"]!.GetValue<string>() is "finished" or "killed");

    private static async Task<JsonArray> RunsAsync(RpcClient client, string instance) =>
        (await client.CallAsync("script_execution_get", new
        {
            filter = new { instances = new[] { new { script_name = "a", instance_names = new[] { instance } } } },
            pagination = new { limit = -100 },
        }))["executions"]!.AsArray();
}
