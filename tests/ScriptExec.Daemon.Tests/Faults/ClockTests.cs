using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;

namespace ScriptExec.Daemon.Tests.Faults;

/// <summary>
/// Schedules and uptime when time misbehaves: a tick months away, the wall clock set forward under a sleeping
/// schedule, and uptime across a wall-clock step.
/// </summary>
[Category("Faults")]
public sealed class ClockTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 29, 10, 0, 0, TimeSpan.Zero);

    [Test]
    public async Task A_schedule_more_than_49_days_away_fires()
    {
        var clock = new SteppableClock(Start);
        await using var daemon = await DaemonUnderTest.StartAsync(null, s => s.AddSingleton<TimeProvider>(clock));
        await using var client = await daemon.ConnectAsync("unix");
        var timers = clock.TimersCreated;
        await ScheduleAsync(client, "0 0 1 3 *");
        await Eventually.ThatAsync(() => Task.FromResult(clock.TimersCreated > timers), "the schedule went to sleep");

        // To 27 February 2027, 10:00 in three steps: the schedule wakes and sleeps again, nothing runs yet.
        for (var step = 0; step < 3; step++)
        {
            timers = clock.TimersCreated;
            clock.Advance(TimeSpan.FromDays(30));
            await Eventually.ThatAsync(() => Task.FromResult(clock.TimersCreated > timers), "the schedule slept again");
        }

        var early = await RunsAsync(client);
        clock.Advance(TimeSpan.FromDays(2));
        await Eventually.ThatAsync(async () => (await RunsAsync(client)).Count > 0, "the 1 March tick started a run");

        var runs = await RunsAsync(client);

        Assert.Multiple(() =>
        {
            Assert.That(early, Is.Empty, "nothing ran before 1 March");
            Assert.That(runs, Has.Count.EqualTo(1));
            Assert.That(DateTimeOffset.FromUnixTimeSeconds(runs[0]!["start_timestamp"]!.GetValue<long>()),
                Is.GreaterThanOrEqualTo(new DateTimeOffset(2027, 3, 1, 0, 0, 0, TimeSpan.Zero)), "stamped on the daemon's clock");
        });
    }

    [Test]
    public async Task A_wall_clock_set_forward_under_a_sleeping_schedule_fires_at_the_wall_time()
    {
        var clock = new SteppableClock(Start);
        await using var daemon = await DaemonUnderTest.StartAsync(null, s => s.AddSingleton<TimeProvider>(clock));
        await using var client = await daemon.ConnectAsync("unix");
        var timers = clock.TimersCreated;
        await ScheduleAsync(client, "0 12 * * *");
        await Eventually.ThatAsync(() => Task.FromResult(clock.TimersCreated > timers), "the schedule went to sleep");

        // 10:00 → 11:59:30 on the wall, no time passed for the timers; then one minute passes.
        clock.StepWallClock(new TimeSpan(1, 59, 30));
        for (var i = 0; i < 2 && (await RunsAsync(client)).Count == 0; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(30));
            await WaitBrieflyForRunAsync(client);
        }

        Assert.That(await RunsAsync(client), Has.Count.EqualTo(1), "the 12:00 tick ran within a minute of 12:00 on the wall clock");
    }

    [Test]
    public async Task Uptime_follows_the_monotonic_clock_not_the_wall_clock()
    {
        var clock = new SteppableClock(Start);
        await using var daemon = await DaemonUnderTest.StartAsync(null, s => s.AddSingleton<TimeProvider>(clock));
        await using var client = await daemon.ConnectAsync("unix");

        clock.StepWallClock(TimeSpan.FromDays(-1));
        clock.Advance(TimeSpan.FromHours(1));
        var uptime = (await client.CallAsync("status"))["uptime_s"]!.GetValue<long>();

        Assert.That(uptime, Is.InRange(3600, 3600 + 60));
    }

    private static async Task ScheduleAsync(RpcClient client, string cron)
    {
        await client.CallAsync("script_set", new { name = "cron", source = "true" });
        await client.CallAsync("script_instance_set", new
        {
            script_name = "cron", instance_name = "tick", start_trigger = new { type = "schedule", setting = cron },
        });
    }

    private static async Task<JsonArray> RunsAsync(RpcClient client) =>
        (await client.CallAsync("script_execution_get", new
        {
            filter = new { instances = new[] { new { script_name = "cron" } } },
            pagination = new { limit = -100 },
        }))["executions"]!.AsArray();

    // A fired tick starts its run asynchronously; give it a moment to show before time moves on again.
    private static Task<bool> WaitBrieflyForRunAsync(RpcClient client) =>
        Eventually.TryAsync(async () => (await RunsAsync(client)).Count > 0, TimeSpan.FromMilliseconds(200));
}
