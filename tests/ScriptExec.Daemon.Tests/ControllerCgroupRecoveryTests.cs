using ScriptExec.Daemon.Tests.Support;
using ScriptExec.Supervisor;

namespace ScriptExec.Daemon.Tests;

/// <summary>
/// A cgroup v1 directory of a run's controller limits that a crash left behind is swept at start-up, as the v2 run
/// cgroups are.
/// </summary>
public sealed class ControllerCgroupRecoveryTests
{
    [Test]
    public async Task A_leftover_v1_run_cgroup_is_removed_by_start_up_recovery()
    {
        var dataDir = Directory.CreateTempSubdirectory("scriptexec-v1sweep-").FullName;
        var first = await DaemonUnderTest.StartAsync(dataDir);
        string leftover;
        await using (var client = await first.ConnectAsync("unix"))
        {
            var hierarchies = (await client.CallAsync("status", new { }))["confinement"]!["controller_hierarchies"]!.AsObject();
            var v1 = hierarchies.FirstOrDefault(p => p.Value!.GetValue<string>() == "v1").Key;
            if (v1 is null)
            {
                await first.DisposeAsync();
                Assert.Ignore("this machine uses no cgroup v1 hierarchy for the controller limits");
            }

            // The daemon's own cgroup in that hierarchy: in-process it is this process's, as a binary its child's.
            var own = RunCgroup.Directory(await File.ReadAllLinesAsync("/proc/self/cgroup"), v1!, "v1");
            var key = ExecutionReaper.KeyFor(Path.Combine(dataDir, "scripts"));
            leftover = Path.Combine(own, "scriptexec-" + key, "exec-424242");
        }

        // Stopped, not disposed: the data directory stays for the restart.
        await first.StopAsync();

        // As a crash between the cgroup's creation and the end record leaves it.
        Directory.CreateDirectory(leftover);
        await using var second = await DaemonUnderTest.StartAsync(dataDir);
        await using var again = await second.ConnectAsync("unix");
        await again.CallAsync("status", new { });

        Assert.That(Directory.Exists(leftover), Is.False, $"{leftover} was swept at start-up");
    }
}
