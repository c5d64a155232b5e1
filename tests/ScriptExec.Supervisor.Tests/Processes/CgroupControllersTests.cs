using ScriptExec.Supervisor.Processes;

namespace ScriptExec.Supervisor.Tests.Processes;

public class CgroupControllersTests
{
    // A hybrid layout (Debian 10, Ubuntu 20.04): controllers on v1, cgroup v2 for tracking only, cpu with cpuacct.
    private static readonly string[] HybridMounts =
    [
        "tmpfs /sys/fs/cgroup tmpfs ro,nosuid,nodev,noexec,mode=755 0 0",
        "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate 0 0",
        "cgroup /sys/fs/cgroup/systemd cgroup rw,nosuid,nodev,noexec,relatime,xattr,name=systemd 0 0",
        "cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,nodev,noexec,relatime,cpu,cpuacct 0 0",
        "cgroup /sys/fs/cgroup/memory cgroup rw,nosuid,nodev,noexec,relatime,memory 0 0",
        "cgroup /sys/fs/cgroup/pids cgroup rw,nosuid,nodev,noexec,relatime,pids 0 0",
        "cgroup /sys/fs/cgroup/my\\040blkio cgroup rw,relatime,blkio 0 0",
    ];

    private static readonly string[] HybridOwn =
    [
        "12:pids:/system.slice/scriptexecd.service",
        "6:memory:/system.slice/scriptexecd.service",
        "3:cpu,cpuacct:/system.slice/scriptexecd.service",
        "1:name=systemd:/system.slice/scriptexecd.service",
        "0::/system.slice/scriptexecd.service",
    ];

    [Test]
    public void Each_v1_controller_is_found_at_its_mount_plus_the_daemons_own_path()
    {
        var directories = CgroupControllers.V1Directories(HybridMounts, HybridOwn);

        Assert.That(directories, Is.EquivalentTo(new Dictionary<string, string>
        {
            ["memory"] = "/sys/fs/cgroup/memory/system.slice/scriptexecd.service",
            ["pids"] = "/sys/fs/cgroup/pids/system.slice/scriptexecd.service",
            ["cpu"] = "/sys/fs/cgroup/cpu,cpuacct/system.slice/scriptexecd.service",
        }));
    }

    [Test]
    public void A_pure_v2_machine_has_no_v1_directories()
    {
        var directories = CgroupControllers.V1Directories(
            ["cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime 0 0"],
            ["0::/system.slice/scriptexecd.service"]);

        Assert.That(directories, Is.Empty);
    }

    [Test]
    public void A_controller_whose_own_cgroup_was_deleted_is_left_out()
    {
        var directories = CgroupControllers.V1Directories(HybridMounts, ["6:memory:/gone (deleted)", "12:pids:/"]);

        Assert.That(directories, Is.EquivalentTo(new Dictionary<string, string> { ["pids"] = "/sys/fs/cgroup/pids/" }));
    }

    [TestCase("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", "oom_kill", 3L)]
    [TestCase("low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n", "oom_kill", 1L)]
    [TestCase("nr_periods 40\nnr_throttled 17\nthrottled_time 123\n", "nr_throttled", 17L)]
    [TestCase("oom_kill_disable 0\nunder_oom 0\n", "oom_kill", 0L)]
    [TestCase("", "oom_kill", 0L)]
    public void Counters_are_read_from_flat_keyed_files_of_both_layouts(string text, string key, long expected)
    {
        Assert.That(CgroupControllers.Counter(text, key), Is.EqualTo(expected));
    }
}
