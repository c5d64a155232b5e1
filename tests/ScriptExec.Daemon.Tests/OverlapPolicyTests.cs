using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ScriptExec.Daemon.Tests;

/// <summary>Lifecycle policy, <c>overlap</c>: <c>queue</c> keeps one start for when the run ends; <c>skip</c> keeps none.</summary>
public sealed class OverlapPolicyTests
{
    // Runs until the test creates "done" in the directory it is given.
    private const string WaitsForDone = "while [ ! -e \"$1/done\" ]; do sleep 0.05; done";

    [TestCase("queue", 2)]
    [TestCase("skip", 1)]
    public async Task Triggers_firing_while_the_instance_runs_start_exactly_one_more_run_when_queued(string overlap, int expectedRuns)
    {
        var gate = Directory.CreateTempSubdirectory("scriptexec-overlap-").FullName;
        var logs = new CapturingLoggerProvider();
        await using var daemon = await DaemonUnderTest.StartAsync(null, services => services.AddSingleton<ILoggerProvider>(logs));
        await using var client = await daemon.ConnectAsync("unix");
        await client.CallAsync("script_set", new { name = "o", source = WaitsForDone });
        await client.CallAsync("script_instance_set", new
        {
            script_name = "o", instance_name = "busy", arguments = gate, overlap,
            start_trigger = new { type = "xpath", setting = "/go" },
        });

        await client.CallAsync("state_set", new { xpath = "/go", value = 1 });
        await Eventually.ThatAsync(async () => (await RunsAsync(client)).Count == 1, "the first run started");
        await client.CallAsync("state_set", new { xpath = "/go", value = 2 });
        await client.CallAsync("state_set", new { xpath = "/go", value = 3 });
        if (overlap == "queue")
        {
            await Eventually.ThatAsync(() => logs.Lines.Any(l => l.Contains("queued until the run ends", StringComparison.Ordinal)), "a start was queued");
        }

        await File.WriteAllTextAsync(Path.Combine(gate, "done"), "");
        var runs = await Eventually.ValueAsync(
            () => RunsAsync(client),
            r => r.Count >= expectedRuns && r.All(e => e!["state"]!.GetValue<string>() == "finished"),
            $"{expectedRuns} runs ended");

        // A probe on the same path shows the engine has handled a later change: nothing more came of the queue.
        await client.CallAsync("script_instance_set", new
        {
            script_name = "o", instance_name = "probe", arguments = gate, start_trigger = new { type = "xpath", setting = "/go" },
        });
        await client.CallAsync("state_set", new { xpath = "/go", value = 4 });
        await Eventually.ThatAsync(async () => (await RunsAsync(client, "probe")).Count == 1, "the probe ran");
        var busy = await RunsAsync(client);

        Assert.Multiple(() =>
        {
            Assert.That(runs, Has.Count.EqualTo(expectedRuns));
            Assert.That(busy.Count, Is.EqualTo(expectedRuns + 1), "the last change started busy again, once");
            Assert.That(runs.All(r => r!["start_trigger"]!["type"]!.GetValue<string>() == "xpath"), Is.True);
        });
    }

    private static async Task<JsonArray> RunsAsync(RpcClient client, string instance = "busy") =>
        (await client.CallAsync("script_execution_get", new
        {
            filter = new { instances = new[] { new { script_name = "o", instance_names = new[] { instance } } } },
            pagination = new { limit = -100 },
        }))["executions"]!.AsArray();
}
