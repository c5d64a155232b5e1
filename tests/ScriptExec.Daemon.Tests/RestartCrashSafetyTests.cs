using System.Text.Json.Nodes;

namespace ScriptExec.Daemon.Tests;

/// <summary>A restart pending when the daemon is killed with SIGKILL: the next daemon decides it again from the stored policy.</summary>
[NonParallelizable]
public sealed class RestartCrashSafetyTests
{
    // Exits 0 the first time; every later run stays until it is stopped.
    private const string ExitsOnceThenStays = "[ -e \"$0.stay\" ] && exec sleep 600\ntouch \"$0.stay\"\nexit 0";

    private readonly List<DaemonProcess> _daemons = [];
    private string _dataDir = null!;

    [SetUp]
    public void CreateDataDir() => _dataDir = Directory.CreateTempSubdirectory("scriptexec-restart-crash-").FullName;

    [TearDown]
    public void StopDaemons()
    {
        foreach (var daemon in _daemons)
        {
            daemon.Dispose();
        }

        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // A leftover may still hold a file; the temp dir is cleaned by the OS eventually.
        }
    }

    [Test]
    public async Task A_restart_pending_at_kill_9_is_neither_lost_nor_doubled()
    {
        var first = await StartDaemonAsync();
        long firstId;
        await using (var client = await first.ConnectAsync())
        {
            await client.CallAsync("script_set", new { name = "r", source = ExitsOnceThenStays });
            await client.CallAsync("script_instance_set", new
            {
                script_name = "r", instance_name = "flaky", start_trigger = new { type = "manual" },
                restart = new { on = "always", delay_s = 5 },
            });
            firstId = (await client.CallAsync("script_start", new { script_name = "r", instance_name = "flaky" }))["execution"]!["id"]!.GetValue<long>();
            await Eventually.ThatAsync(
                async () => (await client.CallAsync("script_overview_get"))["scripts"]![0]!["instances"]![0]!["next_start_timestamp"] is not null,
                "restart pending");
        }

        await first.KillAsync();
        var second = await StartDaemonAsync();
        await using var again = await second.ConnectAsync();
        var runs = await Eventually.ValueAsync(
            () => RunsAsync(again), r => r.Count >= 2 && r[0]!["state"]!.GetValue<string>() == "running", "the restarted run");
        await again.CallAsync("script_stop", new { script_name = "r", instance_name = "flaky", force = true });

        Assert.Multiple(() =>
        {
            Assert.That(runs, Has.Count.EqualTo(2));
            Assert.That(runs[0]!["start_trigger"]!["type"]!.GetValue<string>(), Is.EqualTo("restart"));
            Assert.That(runs[0]!["start_trigger"]!["setting"]!.GetValue<string>(), Is.EqualTo(firstId.ToString()));
        });
    }

    private async Task<DaemonProcess> StartDaemonAsync()
    {
        var daemon = await DaemonProcess.StartAsync(_dataDir);
        _daemons.Add(daemon);
        return daemon;
    }

    private static async Task<JsonArray> RunsAsync(RpcClient client) =>
        (await client.CallAsync("script_execution_get", new
        {
            filter = new { instances = new[] { new { script_name = "r" } } },
            pagination = new { limit = -100 },
        }))["executions"]!.AsArray();
}
