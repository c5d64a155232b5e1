using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ScriptExec.Daemon.Tests;

/// <summary>Triggers that need a daemon of their own: a schedule on a fake clock, and a restart.</summary>
public sealed class ScheduleAndRestartTriggerTests
{
    [Test]
    public async Task A_schedule_starts_runs_on_its_ticks_and_skips_ticks_while_running()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 10, 0, 30, TimeSpan.Zero));
        await using var daemon = await DaemonUnderTest.StartAsync(null, services => services.AddSingleton<TimeProvider>(clock));
        await using var client = await daemon.ConnectAsync("unix");
        await client.CallAsync("script_set", new { name = "tick", source = "exec sleep 60" });
        await client.CallAsync("script_instance_set", new
        {
            script_name = "tick", instance_name = "every5", start_trigger = new { type = "schedule", setting = "*/5 * * * *" },
        });

        var first = await AdvanceUntilAsync(clock, client, c => Runs(c).ContinueWith(t => t.Result.Count >= 1));
        var skippedBefore = (await client.CallAsync("status"))["triggers"]!["schedule_skipped"]!.GetValue<long>();
        await AdvanceUntilAsync(clock, client, async c =>
            (await c.CallAsync("status"))["triggers"]!["schedule_skipped"]!.GetValue<long>() > skippedBefore);
        var runs = await Runs(client);
        await client.CallAsync("script_stop", new { script_name = "tick", instance_name = "every5", force = true });

        Assert.Multiple(() =>
        {
            Assert.That(first, Is.True);
            Assert.That(runs, Has.Count.EqualTo(1), "the tick that found the instance running started nothing");
            Assert.That(runs[0]!["start_trigger"]!["type"]!.GetValue<string>(), Is.EqualTo("scheduler"));
            Assert.That(runs[0]!["start_trigger"]!["setting"]!.GetValue<string>(), Is.EqualTo("*/5 * * * *"));
        });
    }

    [Test]
    public async Task A_restart_does_not_fire_conditions_that_were_already_true()
    {
        var dataDir = Directory.CreateTempSubdirectory("scriptexec-restart-").FullName;
        var daemon = await DaemonUnderTest.StartAsync(dataDir);
        await using (var client = await daemon.ConnectAsync("unix"))
        {
            await client.CallAsync("script_set", new { name = "edge", source = "true" });
            await client.CallAsync("script_instance_set", new
            {
                script_name = "edge", instance_name = "up", start_trigger = new { type = "xpath", setting = "/link = 'up'" },
            });
            await client.CallAsync("script_instance_set", new
            {
                script_name = "edge", instance_name = "probe", start_trigger = new { type = "xpath", setting = "/probe" },
            });
            await client.CallAsync("state_set", new { xpath = "/link", value = "up" });
            await WaitForRunsAsync(client, "up", 1);
        }

        await daemon.StopAsync();
        await using var restarted = await DaemonUnderTest.StartAsync(dataDir);
        await using var again = await restarted.ConnectAsync("unix");

        // A change the probe instance fires on proves the restarted engine has processed events; the
        // already-true condition of "up" must not have fired at start-up.
        await again.CallAsync("state_set", new { xpath = "/probe", value = 1 });
        await WaitForRunsAsync(again, "probe", 1);
        var upRuns = await WaitForRunsAsync(again, "up", 1);
        var state = await again.CallAsync("state_get", new { xpath = "/link" });

        Assert.Multiple(() =>
        {
            Assert.That(upRuns, Has.Count.EqualTo(1));
            Assert.That(state["value"]!.GetValue<string>(), Is.EqualTo("up"), "the state tree is persisted");
        });
    }

    private static async Task<bool> AdvanceUntilAsync(FakeTimeProvider clock, RpcClient client, Func<RpcClient, Task<bool>> condition)
    {
        // The schedule loop registers its timer asynchronously; advance a minute at a time until the effect shows.
        for (var minute = 0; minute < 60; minute++)
        {
            if (await condition(client))
            {
                return true;
            }

            clock.Advance(TimeSpan.FromMinutes(1));
            await Eventually.TryAsync(() => condition(client), TimeSpan.FromMilliseconds(100));
        }

        return await condition(client);
    }

    private static async Task<JsonArray> Runs(RpcClient client) =>
        (await client.CallAsync("script_execution_get", new
        {
            filter = new { instances = new[] { new { script_name = "tick" } } },
            pagination = new { limit = -100 },
        }))["executions"]!.AsArray();

    private static Task<JsonArray> WaitForRunsAsync(RpcClient client, string instance, int count) =>
        Eventually.ValueAsync(
            async () => (await client.CallAsync("script_execution_get", new
            {
                filter = new { instances = new[] { new { script_name = "edge", instance_names = new[] { instance } } } },
                pagination = new { limit = -100 },
            }))["executions"]!.AsArray(),
            runs => runs.Count >= count && runs.All(r => r!["state"]!.GetValue<string>() is "finished" or "killed"),
            $"{count} runs of {instance}");
}
