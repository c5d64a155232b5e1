using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using ScriptExec.Supervisor.Processes;

namespace ScriptExec.Daemon.Tests;

/// <summary>
/// A continuous script (@reboot start trigger + restart always) survives a daemon restart within the same boot: the
/// run the shutdown ended comes back once, as a restart of it, and never runs twice at the same time.
/// </summary>
public sealed class ContinuousScriptTests
{
    [Test]
    public async Task Reboot_with_restart_always_comes_back_once_after_a_daemon_restart_in_the_same_boot()
    {
        var dataDir = Directory.CreateTempSubdirectory("scriptexec-continuous-").FullName;
        var bootIdFile = Path.Combine(Directory.CreateTempSubdirectory("scriptexec-bootid-").FullName, "boot_id");
        await File.WriteAllTextAsync(bootIdFile, "boot-a\n");
        var first = await StartAsync(dataDir, bootIdFile);
        long firstId;
        await using (var client = await first.ConnectAsync("unix"))
        {
            await client.CallAsync("script_set", new { name = "svc", source = "exec sleep 300" });
            await client.CallAsync("script_instance_set", new
            {
                script_name = "svc", instance_name = "main",
                start_trigger = new { type = "scheduler", setting = "@reboot" },
                restart = new { on = "always", delay_s = 1 },
            });
            firstId = (await client.CallAsync("script_start", new { script_name = "svc", instance_name = "main" }))["execution"]!["id"]!.GetValue<long>();
        }

        await first.StopAsync();
        await using var second = await StartAsync(dataDir, bootIdFile);
        await using var again = await second.ConnectAsync("unix");
        var runs = await Eventually.ValueAsync(
            async () => await RunsAsync(again),
            r => r.Count(e => e!["state"]!.GetValue<string>() == "running") == 1,
            "the continuous script runs again");
        // The run's row says running from its start record on, which is committed before the spawn; status lists the
        // runs the supervisor holds, from the spawn on. Wait until status shows it, then require that it shows one.
        var status = await Eventually.ValueAsync(
            async () => await again.CallAsync("status", new { }),
            s => s["running"]!.AsArray().Count > 0,
            "status lists the run");
        await again.CallAsync("script_stop", new { script_name = "svc", instance_name = "main", force = true });

        var back = runs.Single(e => e!["state"]!.GetValue<string>() == "running")!;
        Assert.Multiple(() =>
        {
            Assert.That(runs.Single(e => e!["id"]!.GetValue<long>() == firstId)!["stop_trigger"]!["reason"]!.GetValue<string>(), Is.EqualTo("shutdown"));
            Assert.That(back["start_trigger"]!["type"]!.GetValue<string>(), Is.EqualTo("restart"));
            Assert.That(back["start_trigger"]!["setting"]!.GetValue<string>(), Is.EqualTo(firstId.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(runs, Has.Count.EqualTo(2), "the same boot's @reboot did not add a run of its own");
            Assert.That(status["running"]!.AsArray(), Has.Count.EqualTo(1), "never two at a time");
        });
    }

    private static Task<DaemonUnderTest> StartAsync(string dataDir, string bootIdFile) =>
        DaemonUnderTest.StartAsync(dataDir, services => services.AddSingleton(new BootIdSource(bootIdFile)));

    private static async Task<JsonArray> RunsAsync(RpcClient client) =>
        (await client.CallAsync("script_execution_get", new
        {
            filter = new { instances = new[] { new { script_name = "svc" } } },
            pagination = new { limit = -10 },
        }))["executions"]!.AsArray();
}
