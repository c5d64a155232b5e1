using System.Text.Json.Nodes;

namespace ScriptExec.Daemon.Tests.Faults;

/// <summary>
/// kill -9 of the daemon right after each step of the start and stop paths, made deterministic by the test-only
/// crash switch (<c>SCRIPTEXECD_TEST_CRASH_AT</c>), then a restart on the same data dir. The start's steps in order:
/// spawn-held (the child waits before its exec; nothing recorded), start-row-committed and pid-committed (one
/// transaction: the row with its pid), spawned (the script runs). Whatever the window:
/// no process of the interrupted execution is alive (its tree has a grandchild in the group and one that left it
/// with setsid), nothing is running or terminating, the instance starts exactly once, and the store is intact.
/// </summary>
[Category("Faults")]
[NonParallelizable]
[TestFixture("auto")]
[TestFixture("off")]
public sealed class CrashInjectionTests
{
    private readonly string _cgroup;
    private int _rounds;
    private int _crashes;
    private int _orphans;
    private CrashHarness _harness = null!;

    /// <param name="cgroup">Run with a cgroup per execution (where the machine has one) or with the environment scan alone.</param>
    public CrashInjectionTests(string cgroup)
    {
        _cgroup = cgroup;
    }

    [SetUp]
    public void CreateHarness() => _harness = new CrashHarness(_cgroup);

    [TearDown]
    public void DisposeHarness() => _harness.Dispose();

    [OneTimeTearDown]
    public void ReportFigures() =>
        TestContext.Progress.WriteLine($"crash injection (cgroup {_cgroup}): {_rounds} rounds, {_crashes} crashes injected, {_orphans} orphans found");

    [TestCase("start-row-committed")]
    [TestCase("spawn-held")]
    [TestCase("spawned")]
    [TestCase("pid-committed")]
    public async Task Kill_9_right_after_a_start_step_leaves_no_process_of_the_run_and_nothing_running(string point)
    {
        var daemon = await _harness.StartDaemonAsync(crashAt: point);
        await using (var client = await daemon.ConnectAsync())
        {
            await _harness.CreateInstanceAsync(client, "tree", "main");
            await client.SendOnlyAsync("""{"jsonrpc":"2.0","id":1,"method":"script_start","params":{"script_name":"tree","instance_name":"main"}}""");
            await AssertDiedBySigkillAsync(daemon, point);
        }

        // Held at its gate, the child is recorded only once it exists (with its pid): before that commit there is no row.
        await RestartAndCheckAsync(point, expectRecovered: true, expectRow: point != "spawn-held");
    }

    [TestCase("terminating-committed", false)]
    [TestCase("signalled", false)]
    [TestCase("signalled", true)]
    [TestCase("end-committing", true)]
    [TestCase("end-committed", true)]
    public async Task Kill_9_right_after_a_stop_step_leaves_no_process_of_the_run_and_nothing_running(string point, bool force)
    {
        var daemon = await _harness.StartDaemonAsync(crashAt: point);
        await using (var client = await daemon.ConnectAsync())
        {
            await _harness.CreateInstanceAsync(client, "tree", "main");
            var id = (await client.CallAsync("script_start", new { script_name = "tree", instance_name = "main" }))["execution"]!["id"]!.GetValue<long>();

            // The leader, its grandchild and the one that left with setsid.
            var treeUp = await ProcessProbe.EventuallyAsync(() => TaggedProcesses.Alive(_harness.Tag, id).Count >= 3, TimeSpan.FromSeconds(30));
            Assert.That(treeUp, Is.True, "the script's process tree came up");
            var stop = new JsonObject
            {
                ["jsonrpc"] = "2.0",
                ["id"] = 99,
                ["method"] = "script_stop",
                ["params"] = new JsonObject { ["script_name"] = "tree", ["instance_name"] = "main", ["force"] = force },
            };
            await client.SendOnlyAsync(stop.ToJsonString());
            await AssertDiedBySigkillAsync(daemon, point);
        }

        await RestartAndCheckAsync(point, expectRecovered: point != "end-committed");
    }

    private async Task AssertDiedBySigkillAsync(DaemonProcess daemon, string point)
    {
        var exitCode = await daemon.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.That(exitCode, Is.EqualTo(137), () => $"the daemon should have killed itself at {point}:\n{daemon.Log}");
        _crashes++;
    }

    private async Task RestartAndCheckAsync(string point, bool expectRecovered, bool expectRow = true)
    {
        var aliveAtRestart = TaggedProcesses.Alive(_harness.Tag).Count;
        var restarted = await _harness.StartDaemonAsync();
        JsonNode? interrupted;
        await using (var client = await restarted.ConnectAsync())
        {
            interrupted = await CrashHarness.LatestAsync(client, "tree", "main");
        }

        var check = await _harness.CheckAfterRestartAsync(restarted, "tree", "main");
        _rounds++;
        _orphans += check.Orphans.Count;
        TestContext.Progress.WriteLine($"{point}: {aliveAtRestart} processes of the run alive at restart; after recovery: {check}");

        Assert.Multiple(() =>
        {
            Assert.That(check.Orphans, Is.Empty, $"processes of the interrupted run still alive after recovery ({point})");
            Assert.That(check.Active, Is.Empty, "nothing running or terminating after recovery");
            Assert.That(check.Started, Is.EqualTo(1), "the instance starts once");
            Assert.That(check.RefusalCodes, Is.EqualTo(new[] { 1002 }), "a concurrent second start is refused as already running");
            Assert.That(check.Integrity, Is.EqualTo("ok"));
            if (!expectRow)
            {
                Assert.That(interrupted, Is.Null, () => $"no start row before the crash, yet: {interrupted!.ToJsonString()}");
                return;
            }

            Assert.That(interrupted, Is.Not.Null, "the start row was committed before the crash");
            Assert.That(interrupted?["state"]?.GetValue<string>(), Is.EqualTo("killed"), () => interrupted!.ToJsonString());
            if (expectRecovered)
            {
                Assert.That(interrupted?["stop_trigger"]?["type"]?.GetValue<string>(), Is.EqualTo("system"), () => interrupted!.ToJsonString());
                Assert.That(interrupted?["stop_trigger"]?["reason"]?.GetValue<string>(), Is.EqualTo("recovery"), () => interrupted!.ToJsonString());
                Assert.That(interrupted?["stop_trigger"]?["setting"], Is.Null, () => interrupted!.ToJsonString());
            }
        });
    }
}
