namespace ScriptExec.Daemon.Tests.Faults;

/// <summary>
/// Nothing of an ended run keeps running, not even a process that left its session with setsid: it is killed
/// before the end is recorded, through the run's cgroup where the machine has one and by its environment
/// otherwise (both modes are run).
/// </summary>
[Category("Faults")]
[TestFixture("auto")]
[TestFixture("off")]
public sealed class RunEndTests
{
    private readonly string _cgroup;
    private DaemonUnderTest _daemon = null!;
    private RpcClient _client = null!;
    private readonly List<int> _pids = [];

    public RunEndTests(string cgroup)
    {
        _cgroup = cgroup;
    }

    [SetUp]
    public async Task StartDaemon()
    {
        var dataDir = Directory.CreateTempSubdirectory("scriptexec-runend-").FullName;
        var config = Path.Combine(dataDir, "config.json");
        await File.WriteAllTextAsync(config, $$"""{"cgroup": "{{_cgroup}}"}""");
        _daemon = await DaemonUnderTest.StartAsync(dataDir, "--config", config);
        _client = await _daemon.ConnectAsync("unix");
    }

    [TearDown]
    public async Task StopDaemon()
    {
        await _client.DisposeAsync();
        await _daemon.DisposeAsync();
        foreach (var pid in _pids)
        {
            ProcessProbe.KillIfAlive(pid);
        }
    }

    [Test]
    public async Task A_process_that_left_the_session_is_killed_before_the_run_reads_finished()
    {
        var id = await StartAsync("escapee", "setsid sleep 1000 >/dev/null 2>&1 &\necho $!\n");
        var escapee = await _client.WaitForPidLineAsync(id);
        _pids.Add(escapee);
        var ended = await CrashHarness.WaitUntilEndedAsync(_client, id);

        Assert.Multiple(() =>
        {
            Assert.That(ended["state"]!.GetValue<string>(), Is.EqualTo("finished"));
            Assert.That(ProcessProbe.IsAlive(escapee), Is.False, $"process {escapee} left the session and outlived its run");
        });
    }

    [Test]
    public async Task A_forced_stop_kills_a_process_that_left_the_session()
    {
        var id = await StartAsync("stopped", "setsid sleep 1000 &\necho $!\nwait\n");
        var escapee = await _client.WaitForPidLineAsync(id);
        _pids.Add(escapee);
        await _client.CallAsync("script_stop", new { script_name = "stopped", instance_name = "main", force = true });
        var ended = await CrashHarness.WaitUntilEndedAsync(_client, id);

        Assert.Multiple(() =>
        {
            Assert.That(ended["state"]!.GetValue<string>(), Is.EqualTo("killed"));
            Assert.That(ProcessProbe.IsAlive(escapee), Is.False, $"process {escapee} left the session and outlived the stop");
        });
    }

    [Test]
    public async Task Every_process_of_a_run_is_in_the_runs_own_cgroup_exactly_when_cgroups_are_on()
    {
        var id = await StartAsync("confined", "grep '^0::' /proc/self/cgroup\nsetsid grep '^0::' /proc/self/cgroup\n");
        await CrashHarness.WaitUntilEndedAsync(_client, id);
        var lines = await _client.ReadAllContentAsync(id);
        if (_cgroup == "off")
        {
            Assert.That(lines, Has.Count.EqualTo(2).And.None.Contains("/scriptexec-"), string.Join('\n', lines));
            return;
        }

        if (lines.Any(l => !l.Contains("/scriptexec-", StringComparison.Ordinal)) && !CgroupV2Writable())
        {
            Assert.Ignore("this machine offers no writable cgroup v2; the environment scan alone is used");
        }

        Assert.That(lines, Has.Count.EqualTo(2).And.All.EndsWith($"/exec-{id}"), string.Join('\n', lines));
    }

    private async Task<long> StartAsync(string script, string source)
    {
        await _client.CallAsync("script_set", new { name = script, source });
        await _client.CallAsync("script_instance_set", new { script_name = script, instance_name = "main", start_trigger = new { type = "manual" } });
        return (await _client.CallAsync("script_start", new { script_name = script, instance_name = "main" }))["execution"]!["id"]!.GetValue<long>();
    }

    private static bool CgroupV2Writable()
    {
        var mount = File.ReadLines("/proc/self/mounts").Select(l => l.Split(' ')).FirstOrDefault(f => f.Length > 2 && f[2] == "cgroup2")?[1];
        var own = File.ReadLines("/proc/self/cgroup").FirstOrDefault(l => l.StartsWith("0::", StringComparison.Ordinal))?[3..];
        return mount is not null && own is not null && Directory.Exists(Path.Join(mount, own))
            && (File.GetUnixFileMode(Path.Join(mount, own)) & UnixFileMode.UserWrite) != 0;
    }
}
