using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using ScriptExec.Supervisor.Processes;
using ScriptExec.Supervisor.Triggers;

namespace ScriptExec.Daemon.Tests;

/// <summary>
/// Stop reasons on the wire (system triggers carry <c>reason</c>, never <c>setting</c>), the <c>scheduler</c>
/// trigger name with its <c>schedule</c> alias, and <c>@reboot</c> across daemon restarts with a faked boot id.
/// </summary>
[TestFixture("unix")]
[TestFixture("websocket")]
public sealed class StopReasonAndRebootTests
{
    private readonly string _transport;

    public StopReasonAndRebootTests(string transport)
    {
        _transport = transport;
    }

    [Test]
    public async Task A_run_stopped_by_daemon_shutdown_reports_reason_shutdown_and_no_setting()
    {
        var dataDir = Directory.CreateTempSubdirectory("scriptexec-reason-").FullName;
        var daemon = await DaemonUnderTest.StartAsync(dataDir);
        await using (var client = await daemon.ConnectAsync(_transport))
        {
            await client.CallAsync("script_set", new { name = "long", source = "exec sleep 60" });
            await client.CallAsync("script_instance_set", new { script_name = "long", instance_name = "i", start_trigger = new { type = "manual" } });
            await client.CallAsync("script_start", new { script_name = "long", instance_name = "i" });
        }

        await daemon.StopAsync();
        await using var restarted = await DaemonUnderTest.StartAsync(dataDir);
        await using var again = await restarted.ConnectAsync(_transport);
        var runs = await RunsAsync(again, "long");
        var stop = runs.Single()!["stop_trigger"]!.AsObject();

        Assert.Multiple(() =>
        {
            Assert.That(stop["type"]!.GetValue<string>(), Is.EqualTo("system"));
            Assert.That(stop["reason"]!.GetValue<string>(), Is.EqualTo("shutdown"));
            Assert.That(stop.ContainsKey("setting"), Is.False, "seed 000: no setting for system triggers");
            Assert.That(stop.ContainsKey("username"), Is.False);
        });
    }

    [Test]
    public async Task Reboot_runs_once_per_boot_id_and_schedule_is_accepted_as_an_alias_reported_as_scheduler()
    {
        var dataDir = Directory.CreateTempSubdirectory("scriptexec-reboot-").FullName;
        var bootIdFile = Path.Combine(Directory.CreateTempSubdirectory("scriptexec-bootid-").FullName, "boot_id");
        await File.WriteAllTextAsync(bootIdFile, "boot-a\n");

        // Boot A: configuring an @reboot instance does not run it (as with cron): the next boot does.
        var daemon1 = await StartAsync(dataDir, bootIdFile);
        {
            var client = await daemon1.ConnectAsync(_transport);
            await client.CallAsync("script_set", new { name = "boot", source = "true" });
            await client.CallAsync("script_instance_set", new
            {
                script_name = "boot", instance_name = "once", start_trigger = new { type = "schedule", setting = "@reboot" },
            });
            var instance = await client.CallAsync("script_instance_get", new { script_name = "boot", instance_name = "once" });
            Assert.That(instance["start_trigger"]!.ToJsonString(), Is.EqualTo("""{"type":"scheduler","setting":"@reboot"}"""), "schedule is an input alias");
            Assert.That(await RunsAsync(client, "boot"), Is.Empty);
            await client.DisposeAsync();
            await daemon1.StopAsync();
        }

        // Boot B, first daemon start in it: runs.
        await File.WriteAllTextAsync(bootIdFile, "boot-b\n");
        var daemon2 = await StartAsync(dataDir, bootIdFile);
        {
            var client = await daemon2.ConnectAsync(_transport);
            await daemon2.Services.GetRequiredService<TriggerEngine>().RebootStarts;
            var runs = await WaitForEndedRunsAsync(client, 1);
            var byAlias = await RunsAsync(client, "boot", "schedule");
            var byName = await RunsAsync(client, "boot", "scheduler");
            Assert.Multiple(() =>
            {
                Assert.That(runs[0]!["start_trigger"]!.ToJsonString(), Is.EqualTo("""{"type":"scheduler","setting":"@reboot"}"""));
                Assert.That(byAlias, Has.Count.EqualTo(1), "filtering on the alias finds scheduler runs");
                Assert.That(byName, Has.Count.EqualTo(1));
            });
            await client.DisposeAsync();
            await daemon2.StopAsync();
        }

        // Boot B again (a daemon restart, not a reboot): does not run.
        var daemon3 = await StartAsync(dataDir, bootIdFile);
        {
            var client = await daemon3.ConnectAsync(_transport);
            await daemon3.Services.GetRequiredService<TriggerEngine>().RebootStarts;
            Assert.That(await RunsAsync(client, "boot"), Has.Count.EqualTo(1), "same boot id: no second run");
            await client.DisposeAsync();
            await daemon3.StopAsync();
        }

        // Boot C: runs again.
        await File.WriteAllTextAsync(bootIdFile, "boot-c\n");
        await using (var daemon = await StartAsync(dataDir, bootIdFile))
        {
            await using var client = await daemon.ConnectAsync(_transport);
            await daemon.Services.GetRequiredService<TriggerEngine>().RebootStarts;
            var runs = await WaitForEndedRunsAsync(client, 2);
            Assert.That(runs, Has.Count.EqualTo(2));
        }
    }

    [Test]
    public async Task A_cron_setting_that_is_not_reboot_is_still_validated()
    {
        await using var daemon = await DaemonUnderTest.StartAsync();
        await using var client = await daemon.ConnectAsync(_transport);
        await client.CallAsync("script_set", new { name = "c", source = "true" });
        var error = await client.CallErrorAsync("script_instance_set", new
        {
            script_name = "c", instance_name = "i", start_trigger = new { type = "scheduler", setting = "@rebooted" },
        });
        Assert.That(error["data"]?["field"]?.GetValue<string>(), Is.EqualTo("start_trigger.setting"));
    }

    private static Task<DaemonUnderTest> StartAsync(string dataDir, string bootIdFile) =>
        DaemonUnderTest.StartAsync(dataDir, services => services.AddSingleton(new BootIdSource(bootIdFile)));

    private static async Task<JsonArray> RunsAsync(RpcClient client, string script, string? triggerType = null)
    {
        var filter = new JsonObject { ["instances"] = new JsonArray(new JsonObject { ["script_name"] = script }) };
        if (triggerType is not null)
        {
            filter["trigger_types"] = new JsonArray(triggerType);
        }

        var result = await client.CallAsync("script_execution_get", new JsonObject
        {
            ["filter"] = filter,
            ["pagination"] = new JsonObject { ["limit"] = -100 },
        });
        return result["executions"]!.AsArray();
    }

    private static Task<JsonArray> WaitForEndedRunsAsync(RpcClient client, int count) =>
        Eventually.ValueAsync(
            () => RunsAsync(client, "boot"),
            runs => runs.Count >= count && runs.All(r => r!["state"]!.GetValue<string>() is "finished" or "killed"),
            $"{count} ended @reboot runs");
}
