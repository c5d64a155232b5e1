using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace ScriptExec.Daemon.Tests;

/// <summary>Lifecycle policy, <c>catch_up</c>: a schedule tick missed while the daemon was down runs once at start only when asked.</summary>
public sealed class ScheduleCatchUpTests
{
    [Test]
    public async Task A_missed_tick_runs_once_at_start_with_catch_up_and_is_only_logged_without()
    {
        var dataDir = Directory.CreateTempSubdirectory("scriptexec-catchup-").FullName;
        var before = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 10, 0, 30, TimeSpan.Zero));
        var daemon = await DaemonUnderTest.StartAsync(dataDir, services => services.AddSingleton<TimeProvider>(before));
        await using (var client = await daemon.ConnectAsync("unix"))
        {
            await client.CallAsync("script_set", new { name = "c", source = "true" });
            foreach (var (name, catchUp) in new[] { ("late", true), ("skipped", false) })
            {
                await client.CallAsync("script_instance_set", new
                {
                    script_name = "c", instance_name = name, catch_up = catchUp,
                    start_trigger = new { type = "scheduler", setting = "0 * * * *" },
                });
            }
        }

        await daemon.StopAsync();

        // Down from 10:00:30 to 12:30: the ticks of 11:00 and 12:00 were missed.
        var after = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 30, 0, TimeSpan.Zero));
        var logs = new CapturingLoggerProvider();
        await using var restarted = await DaemonUnderTest.StartAsync(dataDir, services =>
        {
            services.AddSingleton<TimeProvider>(after);
            services.AddSingleton<ILoggerProvider>(logs);
        });
        await using var again = await restarted.ConnectAsync("unix");
        var late = await Eventually.ValueAsync(
            () => RunsAsync(again, "late"), runs => runs.Count == 1 && runs[0]!["state"]!.GetValue<string>() == "finished", "the caught-up run");
        var skippedLog = logs.Lines.Where(l => l.Contains("c/skipped", StringComparison.Ordinal) && l.Contains("not run late", StringComparison.Ordinal)).ToList();
        var skipped = await RunsAsync(again, "skipped");
        var got = await again.CallAsync("script_instance_get", new { script_name = "c", instance_name = "late" });

        Assert.Multiple(() =>
        {
            Assert.That(late[0]!["start_trigger"]!["type"]!.GetValue<string>(), Is.EqualTo("scheduler"));
            Assert.That(late[0]!["start_trigger"]!["setting"]!.GetValue<string>(), Is.EqualTo("0 * * * *"));
            Assert.That(skipped, Is.Empty, "without catch_up the missed tick is not run late");
            Assert.That(skippedLog, Has.Count.EqualTo(1), "the missed tick is recorded in the log");
            Assert.That(logs.Lines.Count(l => l.Contains("c/late", StringComparison.Ordinal) && l.Contains("run once now", StringComparison.Ordinal)), Is.EqualTo(1));
            Assert.That(got["catch_up"]!.GetValue<bool>(), Is.True);
        });
    }

    private static async Task<JsonArray> RunsAsync(RpcClient client, string instance) =>
        (await client.CallAsync("script_execution_get", new
        {
            filter = new { instances = new[] { new { script_name = "c", instance_names = new[] { instance } } } },
            pagination = new { limit = -100 },
        }))["executions"]!.AsArray();
}
