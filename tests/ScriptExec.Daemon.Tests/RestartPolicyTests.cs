using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ScriptExec.Daemon.Tests;

/// <summary>Lifecycle policy, <c>restart</c>: backoff measured on a fake clock, give-up, <c>always</c>, and no restart after a stop.</summary>
public sealed class RestartPolicyTests
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(1);

    [Test]
    public async Task A_failing_run_restarts_with_doubling_delays_and_gives_up_after_max_restarts()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero));
        await using var daemon = await DaemonUnderTest.StartAsync(null, services => services.AddSingleton<TimeProvider>(clock));
        await using var client = await daemon.ConnectAsync("unix");
        await client.CallAsync("script_set", new { name = "r", source = "exit 1" });
        await client.CallAsync("script_instance_set", new
        {
            script_name = "r", instance_name = "flaky", start_trigger = new { type = "manual" },
            restart = new { on = "failure", delay_s = 4, max_delay_s = 12, max_restarts = 3, window_s = 3600 },
        });

        await client.CallAsync("script_start", new { script_name = "r", instance_name = "flaky" });
        var measured = new List<double>();
        for (var restart = 1; restart <= 3; restart++)
        {
            var before = (await EndedRunsAsync(client, restart)).Count;
            await Eventually.ThatAsync(async () => (await InstanceAsync(client))["next_start_timestamp"] is not null, $"restart {restart} pending");
            measured.Add(await AdvanceUntilRunsAsync(clock, client, before + 1));
        }

        var runs = await EndedRunsAsync(client, 4);
        var gaveUp = await Eventually.ValueAsync(() => InstanceAsync(client), i => i["restart_gave_up"] is not null, "the policy gave up");
        clock.Advance(TimeSpan.FromMinutes(5));
        var start = await client.CallAsync("script_start", new { script_name = "r", instance_name = "flaky" });

        Assert.Multiple(() =>
        {
            // Newest first: the restarts name the run before each as their setting.
            Assert.That(runs.Select(r => r!["start_trigger"]!["type"]!.GetValue<string>()), Is.EqualTo(new[] { "restart", "restart", "restart", "manual" }));
            for (var i = 0; i < 3; i++)
            {
                Assert.That(runs[i]!["start_trigger"]!["setting"]!.GetValue<string>(), Is.EqualTo(runs[i + 1]!["id"]!.GetValue<long>().ToString()));
            }

            double[] configured = [4, 8, 12];
            for (var i = 0; i < 3; i++)
            {
                Assert.That(measured[i], Is.InRange(configured[i] * 0.5, configured[i] * 1.5), $"delay before restart {i + 1}");
            }

            Assert.That(gaveUp["restart_gave_up"]!.GetValue<bool>(), Is.True);
            Assert.That(gaveUp["next_start_timestamp"], Is.Null);
            Assert.That(start["execution"]!["start_trigger"]!["type"]!.GetValue<string>(), Is.EqualTo("manual"), "no restart started on its own meanwhile");
        });
    }

    [Test]
    public async Task Always_restarts_after_exit_0_and_a_manual_stop_never_restarts()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero));
        await using var daemon = await DaemonUnderTest.StartAsync(null, services => services.AddSingleton<TimeProvider>(clock));
        await using var client = await daemon.ConnectAsync("unix");
        await client.CallAsync("script_set", new { name = "r", source = "[ -e \"$0.stay\" ] && exec sleep 60\ntouch \"$0.stay\"\nexit 0" });
        await client.CallAsync("script_instance_set", new
        {
            script_name = "r", instance_name = "flaky", start_trigger = new { type = "manual" },
            restart = new { on = "always", delay_s = 2 },
        });

        // The first run exits 0 and is restarted; the restarted run stays until it is stopped by hand.
        await client.CallAsync("script_start", new { script_name = "r", instance_name = "flaky" });
        await Eventually.ThatAsync(async () => (await InstanceAsync(client))["next_start_timestamp"] is not null, "restart pending after exit 0");
        await AdvanceUntilAsync(clock, async () => (await AllRunsAsync(client)).Count == 2);
        var restarted = (await AllRunsAsync(client))[0]!;
        await client.CallAsync("script_stop", new { script_name = "r", instance_name = "flaky" });
        await Eventually.ThatAsync(async () => (await AllRunsAsync(client))[0]!["state"]!.GetValue<string>() is "finished" or "killed", "the stop ended it");
        clock.Advance(TimeSpan.FromMinutes(5));
        var overview = await InstanceAsync(client);
        var manual = await client.CallAsync("script_start", new { script_name = "r", instance_name = "flaky" });
        await client.CallAsync("script_stop", new { script_name = "r", instance_name = "flaky", force = true });
        var runs = await AllRunsAsync(client);

        Assert.Multiple(() =>
        {
            Assert.That(restarted["start_trigger"]!["type"]!.GetValue<string>(), Is.EqualTo("restart"));
            Assert.That(overview["next_start_timestamp"], Is.Null, "no restart pending after a manual stop");
            Assert.That(manual["execution"]!["state"]!.GetValue<string>(), Is.EqualTo("running"), "nothing restarted it meanwhile");
            Assert.That(runs.Select(r => r!["start_trigger"]!["type"]!.GetValue<string>()), Is.EqualTo(new[] { "manual", "restart", "manual" }));
        });
    }

    [Test]
    public async Task A_restart_pending_when_the_daemon_stops_is_decided_again_at_the_next_start_once()
    {
        var dataDir = Directory.CreateTempSubdirectory("scriptexec-restart-resume-").FullName;
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero));
        var daemon = await DaemonUnderTest.StartAsync(dataDir, services => services.AddSingleton<TimeProvider>(clock));
        long firstId;
        await using (var client = await daemon.ConnectAsync("unix"))
        {
            await client.CallAsync("script_set", new { name = "r", source = "[ -e \"$0.stay\" ] && exec sleep 60\ntouch \"$0.stay\"\nexit 0" });
            await client.CallAsync("script_instance_set", new
            {
                script_name = "r", instance_name = "flaky", start_trigger = new { type = "manual" },
                restart = new { on = "always", delay_s = 30 },
            });
            firstId = (await client.CallAsync("script_start", new { script_name = "r", instance_name = "flaky" }))["execution"]!["id"]!.GetValue<long>();
            await Eventually.ThatAsync(async () => (await InstanceAsync(client))["next_start_timestamp"] is not null, "restart pending");
        }

        await daemon.StopAsync();
        await using var restarted = await DaemonUnderTest.StartAsync(dataDir, services => services.AddSingleton<TimeProvider>(clock));
        await using var again = await restarted.ConnectAsync("unix");
        var pending = await Eventually.ValueAsync(() => InstanceAsync(again), i => i["next_start_timestamp"] is not null, "restart pending again");
        await AdvanceUntilAsync(clock, async () => (await AllRunsAsync(again)).Count == 2);
        var runs = await AllRunsAsync(again);
        await again.CallAsync("script_stop", new { script_name = "r", instance_name = "flaky", force = true });

        Assert.Multiple(() =>
        {
            Assert.That(pending["next_start_timestamp"], Is.Not.Null);
            Assert.That(runs, Has.Count.EqualTo(2));
            Assert.That(runs[0]!["start_trigger"]!["type"]!.GetValue<string>(), Is.EqualTo("restart"));
            Assert.That(runs[0]!["start_trigger"]!["setting"]!.GetValue<string>(), Is.EqualTo(firstId.ToString()));
            Assert.That(runs[0]!["state"]!.GetValue<string>(), Is.EqualTo("running"));
        });
    }

    /// <summary>Steps the fake clock a second at a time until another run has started; returns the seconds stepped.</summary>
    private static async Task<double> AdvanceUntilRunsAsync(FakeTimeProvider clock, RpcClient client, int count)
    {
        var stepped = 0;
        while (!await Eventually.TryAsync(async () => (await AllRunsAsync(client)).Count >= count, TimeSpan.FromMilliseconds(50)))
        {
            Assert.That(stepped, Is.LessThan(120), "no restart within two minutes of fake time");
            clock.Advance(Step);
            stepped++;
        }

        return stepped;
    }

    private static async Task AdvanceUntilAsync(FakeTimeProvider clock, Func<Task<bool>> condition)
    {
        for (var stepped = 0; !await Eventually.TryAsync(condition, TimeSpan.FromMilliseconds(50)); stepped++)
        {
            Assert.That(stepped, Is.LessThan(120), "not within two minutes of fake time");
            clock.Advance(Step);
        }
    }

    private static async Task<JsonNode> InstanceAsync(RpcClient client) =>
        (await client.CallAsync("script_overview_get"))["scripts"]![0]!["instances"]![0]!;

    private static async Task<JsonArray> AllRunsAsync(RpcClient client) =>
        (await client.CallAsync("script_execution_get", new
        {
            filter = new { instances = new[] { new { script_name = "r" } } },
            pagination = new { limit = -100 },
        }))["executions"]!.AsArray();

    private static Task<JsonArray> EndedRunsAsync(RpcClient client, int count) =>
        Eventually.ValueAsync(
            () => AllRunsAsync(client),
            runs => runs.Count >= count && runs.All(r => r!["state"]!.GetValue<string>() is "finished" or "killed"),
            $"{count} ended runs");
}
