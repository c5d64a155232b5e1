using System.Globalization;
using System.Text.Json.Nodes;

namespace ScriptExec.Daemon.Tests;

/// <summary>
/// The system refuses the daemon a process, then a thread, while it starts a script (a pids limit reached: each held
/// spawn runs posix_spawn on a thread of its own, parked for reuse for 10 s). The daemon is moved into a pids cgroup
/// of its own whose limit is then set to the threads it has, so the next thread or process it asks for is refused
/// (EAGAIN); root is not exempt from a cgroup's limit as it is from RLIMIT_NPROC. Each start is answered as a run that
/// could not be started, the daemon goes on serving, and once the limit is lifted the same instance runs: nothing
/// stayed reserved or was leaked.
/// </summary>
[NonParallelizable]
public sealed class SpawnThreadRefusedTests
{
    private string _dataDir = null!;
    private string? _cgroup;
    private DaemonProcess? _daemon;

    [SetUp]
    public void CreateDataDir() => _dataDir = Directory.CreateTempSubdirectory("scriptexec-nothread-").FullName;

    [TearDown]
    public async Task CleanUpAsync()
    {
        _daemon?.Dispose();
        if (_cgroup is not null && Directory.Exists(_cgroup))
        {
            // Removable once the daemon and its last script have left it.
            await Eventually.ThatAsync(() => File.ReadAllText(Path.Combine(_cgroup, "cgroup.procs")).Trim().Length == 0, $"{_cgroup} is empty");
            Directory.Delete(_cgroup);
        }

        CgroupLeftovers.RemoveFor(_dataDir);
        Directory.Delete(_dataDir, recursive: true);
    }

    [Test]
    public async Task A_start_refused_a_thread_is_a_failed_run_and_the_next_start_runs()
    {
        // A cgroup v1 hierarchy with the pids controller (the hybrid layout); on a pure v2 machine this test is skipped.
        var hierarchy = File.ReadAllLines("/proc/self/mounts").Select(l => l.Split(' '))
            .FirstOrDefault(f => f[2] == "cgroup" && f[3].Split(',').Contains("pids"))?[1];
        if (hierarchy is null)
        {
            Assert.Ignore("no cgroup v1 pids hierarchy is mounted");
        }

        _cgroup = Path.Combine(hierarchy, "scriptexec-test-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            Directory.CreateDirectory(_cgroup);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Assert.Ignore($"the pids hierarchy at {hierarchy} is not writable: {e.Message}");
        }
        _daemon = await DaemonProcess.StartAsync(_dataDir);
        await using var client = await _daemon.ConnectAsync();
        await client.CallAsync("script_set", new { name = "hello", source = "#!/bin/sh\necho ok\n" });
        await client.CallAsync("script_instance_set", new { script_name = "hello", instance_name = "main", start_trigger = new { type = "manual" } });

        await File.WriteAllTextAsync(Path.Combine(_cgroup, "cgroup.procs"), _daemon.Pid.ToString(CultureInfo.InvariantCulture));

        // A spawn thread parked by the start-up probe is reused: the clone of the child is what is refused.
        await LimitToCurrentAsync();
        var noProcess = await StartRefusedAsync(client);

        // Once no spawn thread is parked any more (10 s idle), a new one is needed, and refused.
        await Eventually.ThatAsync(() => !SpawnThreadParked(_daemon.Pid), "the daemon's parked spawn thread ends", TimeSpan.FromSeconds(60));
        await LimitToCurrentAsync();
        var noThread = await StartRefusedAsync(client);
        var status = await client.CallAsync("status", new { });

        await File.WriteAllTextAsync(Path.Combine(_cgroup, "pids.max"), "max");
        var next = (await client.CallAsync("script_start", new { script_name = "hello", instance_name = "main" }))["execution"]!;
        var ended = await Eventually.ValueAsync(
            async () => (await client.CallAsync("script_execution_get", new
            {
                filter = new { instances = new[] { new { script_name = "hello", instance_names = new[] { "main" } } } },
                pagination = new { limit = -1 },
            }))["executions"]![0]!,
            e => e["state"]!.GetValue<string>() is not ("running" or "terminating"),
            "the run after the limit was lifted ends");

        Assert.Multiple(() =>
        {
            foreach (var (refused, output) in new[] { noProcess, noThread })
            {
                Assert.That(refused["state"]!.GetValue<string>(), Is.EqualTo("finished"), () => refused.ToJsonString());
                Assert.That(refused["exit_code"]!.GetValue<int>(), Is.EqualTo(127), "recorded as a run that could not be started");
            }

            Assert.That(noProcess.Output, Has.Some.Contains("Resource temporarily unavailable"), string.Join("\n", noProcess.Output));
            Assert.That(noThread.Output, Has.Some.Contains("no thread could be started"), string.Join("\n", noThread.Output));
            Assert.That(status["executions"], Is.Not.Null, "the daemon answered while it could make no thread: " + status.ToJsonString());
            Assert.That(ended["id"]!.GetValue<long>(), Is.EqualTo(next["id"]!.GetValue<long>()));
            Assert.That(ended["exit_code"]?.GetValue<int>(), Is.EqualTo(0), () => ended.ToJsonString());
        });
        Assert.That(await client.ReadAllContentAsync(next["id"]!.GetValue<long>()), Is.EqualTo(new[] { "ok" }));
    }

    /// <summary>From here the daemon can make no thread and no process beyond those it has.</summary>
    private async Task LimitToCurrentAsync()
    {
        var threads = (await File.ReadAllTextAsync(Path.Combine(_cgroup!, "pids.current"))).Trim();
        await File.WriteAllTextAsync(Path.Combine(_cgroup!, "pids.max"), threads);
    }

    private static async Task<(JsonNode Execution, List<string> Output)> StartRefusedAsync(RpcClient client)
    {
        var execution = (await client.CallAsync("script_start", new { script_name = "hello", instance_name = "main" }))["execution"]!;
        return (execution, await client.ReadAllContentAsync(execution["id"]!.GetValue<long>()));
    }

    private static bool SpawnThreadParked(int pid) =>
        Directory.EnumerateDirectories($"/proc/{pid}/task").Any(task => CommOf(task) == "spawn");

    /// <summary>A thread's name; null once it has ended (it may between the listing and the read).</summary>
    private static string? CommOf(string task)
    {
        try
        {
            return File.ReadAllText(Path.Combine(task, "comm")).Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }
}
