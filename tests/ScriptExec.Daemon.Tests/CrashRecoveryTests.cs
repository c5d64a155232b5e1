using System.Text.Json.Nodes;

namespace ScriptExec.Daemon.Tests;

/// <summary>
/// A daemon killed with SIGKILL while a script runs, then started again on the same data dir: the execution is closed
/// as killed by recovery, the script's whole session is killed, and the store is intact. The daemon runs as its own
/// OS process here (not in-process), so it can really be killed.
/// </summary>
[NonParallelizable]
public sealed class CrashRecoveryTests
{
    private readonly List<int> _scriptPids = [];
    private readonly List<DaemonProcess> _daemons = [];
    private string _dataDir = null!;

    [SetUp]
    public void CreateDataDir() => _dataDir = Directory.CreateTempSubdirectory("scriptexec-crash-").FullName;

    [TearDown]
    public void KillLeftovers()
    {
        foreach (var daemon in _daemons)
        {
            daemon.Dispose();
        }

        foreach (var pid in _scriptPids)
        {
            ProcessProbe.KillIfAlive(pid);
        }

        CgroupLeftovers.RemoveFor(_dataDir);
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
    public async Task Restart_after_kill_9_records_killed_by_recovery_and_kills_the_scripts_processes()
    {
        var first = await StartDaemonAsync();
        var (id, leader, grandchild) = await StartScriptAsync(first, "orphan", "sleep 1000 &\necho $!\nwait\n");

        await first.KillAsync();
        var survivedTheDaemon = ProcessProbe.IsAlive(leader) && ProcessProbe.IsAlive(grandchild);

        var second = await StartDaemonAsync();
        JsonNode recovered;
        await using (var client = await second.ConnectAsync())
        {
            recovered = await WaitForExecutionAsync(client, id, e => e["state"]!.GetValue<string>() is not ("running" or "terminating"));
        }

        var leaderGone = await ProcessProbe.WaitUntilGoneAsync(leader, TimeSpan.FromSeconds(10));
        var grandchildGone = await ProcessProbe.WaitUntilGoneAsync(grandchild, TimeSpan.FromSeconds(10));
        var recoveredObject = recovered.AsObject();

        Assert.Multiple(() =>
        {
            Assert.That(survivedTheDaemon, Is.True, "the script outlives the killed daemon, so recovery has something to kill");
            Assert.That(recovered["state"]!.GetValue<string>(), Is.EqualTo("killed"), () => recovered.ToJsonString());
            Assert.That(recovered["stop_trigger"]?["type"]?.GetValue<string>(), Is.EqualTo("system"));
            Assert.That(recovered["stop_trigger"]?["reason"]?.GetValue<string>(), Is.EqualTo("recovery"));
            Assert.That(recovered["stop_trigger"]?["setting"], Is.Null, "a system trigger has no setting (seed 000)");
            Assert.That(recovered["exit_code"]?.GetValue<int>(), Is.EqualTo(-9), "the leader was alive, so recovery killed it");
            Assert.That(recovered["duration"]?.GetValue<long>(), Is.GreaterThanOrEqualTo(0));
            Assert.That(recoveredObject.ContainsKey("pid"), Is.False, "no pid once ended");
            Assert.That(leaderGone, Is.True, $"script process {leader} still runs after recovery");
            Assert.That(grandchildGone, Is.True, $"grandchild {grandchild} still runs after recovery");
            Assert.That(IntegrityCheck(), Is.EqualTo("ok"));
        });
    }

    [Test]
    public async Task Recovery_kills_what_a_dead_leader_left_behind_and_does_not_claim_to_have_killed_the_leader()
    {
        // The leader keeps writing, so the daemon's death ends it by SIGPIPE; its background child never writes and lives on.
        var first = await StartDaemonAsync();
        var (id, leader, grandchild) = await StartScriptAsync(first, "writer", "sleep 1000 &\necho $!\nwhile :; do echo tick; sleep 0.1; done\n");

        await first.KillAsync();
        var leaderDied = await ProcessProbe.WaitUntilGoneAsync(leader, TimeSpan.FromSeconds(10));
        var leaderIsZombie = File.Exists($"/proc/{leader}/stat");
        var grandchildSurvived = ProcessProbe.IsAlive(grandchild);

        var second = await StartDaemonAsync();
        JsonNode recovered;
        await using (var client = await second.ConnectAsync())
        {
            recovered = await WaitForExecutionAsync(client, id, e => e["state"]!.GetValue<string>() is not ("running" or "terminating"));
        }

        var grandchildGone = await ProcessProbe.WaitUntilGoneAsync(grandchild, TimeSpan.FromSeconds(10));

        Assert.Multiple(() =>
        {
            Assert.That(leaderDied, Is.True, "the leader dies of SIGPIPE once the daemon is gone");
            Assert.That(grandchildSurvived, Is.True, "the grandchild outlives the daemon and its leader");
            Assert.That(recovered["state"]!.GetValue<string>(), Is.EqualTo("killed"), () => recovered.ToJsonString());
            Assert.That(recovered["stop_trigger"]?["reason"]?.GetValue<string>(), Is.EqualTo("recovery"));
            Assert.That(recovered["stop_trigger"]?["setting"], Is.Null, "a system trigger has no setting (seed 000)");
            // Recovery did not kill the leader, so -9 would be a false claim: unknown (omitted), or its true fate,
            // SIGPIPE, if the daemon reads it from the zombie.
            Assert.That(recovered["exit_code"]?.GetValue<int>(), Is.Null.Or.EqualTo(-13),
                $"the leader died before recovery (it was {(leaderIsZombie ? "an unreaped zombie" : "reaped")} at restart): {recovered.ToJsonString()}");
            Assert.That(recovered["duration"]?.GetValue<long>(), Is.GreaterThanOrEqualTo(0));
            Assert.That(grandchildGone, Is.True, $"grandchild {grandchild} still runs after recovery");
        });
    }

    [Test]
    public async Task Instance_recovered_after_kill_9_can_be_started_again()
    {
        var first = await StartDaemonAsync();
        await using (var client = await first.ConnectAsync())
        {
            await client.CallAsync("script_set", new { name = "again", source = "exec sleep 1000" });
            await client.CallAsync("script_instance_set", new { script_name = "again", instance_name = "main", start_trigger = new { type = "manual" } });
            var started = (await client.CallAsync("script_start", new { script_name = "again", instance_name = "main" }))["execution"]!;
            _scriptPids.Add(started["pid"]!.GetValue<int>());
        }

        await first.KillAsync();
        var second = await StartDaemonAsync();
        await using var restarted = await second.ConnectAsync();

        var rerun = (await restarted.CallAsync("script_start", new { script_name = "again", instance_name = "main" }))["execution"]!;
        _scriptPids.Add(rerun["pid"]!.GetValue<int>());
        await restarted.CallAsync("script_stop", new { script_name = "again", instance_name = "main", force = true });
        var ended = await WaitForExecutionAsync(restarted, rerun["id"]!.GetValue<long>(), e => e["state"]!.GetValue<string>() is "finished" or "killed");

        Assert.That(ended["state"]!.GetValue<string>(), Is.EqualTo("killed"));
    }

    private static Task<JsonNode> WaitForExecutionAsync(RpcClient client, long id, Func<JsonNode, bool> condition) =>
        Eventually.ValueAsync(
            async () => (await client.CallAsync("script_execution_output_get", new
            {
                filter = new { execution_id = id },
                pagination = new { limit = 1 },
            }))["execution"]!,
            condition,
            $"execution {id} reached the expected condition");

    private async Task<DaemonProcess> StartDaemonAsync()
    {
        var daemon = await DaemonProcess.StartAsync(_dataDir);
        _daemons.Add(daemon);
        return daemon;
    }

    private string? IntegrityCheck() => StoreProbe.IntegrityCheck(_dataDir);

    /// <summary>Creates and starts a script whose first output line is the pid of a background child it leaves running.</summary>
    private async Task<(long Id, int Leader, int Grandchild)> StartScriptAsync(DaemonProcess daemon, string name, string source)
    {
        await using var client = await daemon.ConnectAsync();
        await client.CallAsync("script_set", new { name, source });
        await client.CallAsync("script_instance_set", new { script_name = name, instance_name = "main", start_trigger = new { type = "manual" } });
        var started = (await client.CallAsync("script_start", new { script_name = name, instance_name = "main" }))["execution"]!;
        var id = started["id"]!.GetValue<long>();
        var leader = started["pid"]!.GetValue<int>();
        _scriptPids.Add(leader);
        var grandchild = await client.WaitForPidLineAsync(id);
        _scriptPids.Add(grandchild);
        return (id, leader, grandchild);
    }
}
