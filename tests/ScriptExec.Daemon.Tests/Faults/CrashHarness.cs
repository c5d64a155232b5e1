using System.Text.Json.Nodes;

namespace ScriptExec.Daemon.Tests.Faults;

/// <summary>What the store and /proc say once a daemon killed with SIGKILL was started again on its data dir.</summary>
internal sealed record RecoveryCheck(
    IReadOnlyList<int> Orphans, JsonArray Active, int Started, IReadOnlyList<int> RefusalCodes, string? Integrity)
{
    public override string ToString() =>
        $"orphans [{string.Join(',', Orphans)}], active {Active.ToJsonString()}, {Started} started, refusals [{string.Join(',', RefusalCodes)}], integrity {Integrity}";
}

/// <summary>
/// One data directory, the scriptexecd processes run on it one after another, and the checks every crash round
/// ends with. Its scripts carry a tag of their own in their environment, so /proc tells their processes apart.
/// </summary>
internal sealed class CrashHarness : IDisposable
{
    /// <summary>A tree like a real service's: a grandchild in the group, one that leaves it with setsid, TERM ignored.</summary>
    public const string TreeScript = """
        trap '' TERM
        sleep 1000 &
        setsid sleep 1000 &
        echo ready
        wait
        """;

    private readonly List<DaemonProcess> _daemons = [];

    /// <param name="cgroup">The daemon's <c>cgroup</c> option: <c>auto</c> (a cgroup per run where the machine has one) or <c>off</c> (environment scan only).</param>
    public CrashHarness(string cgroup)
    {
        Cgroup = cgroup;
    }

    public string Cgroup { get; }

    public string DataDir { get; } = Directory.CreateTempSubdirectory("scriptexec-fault-").FullName;

    public string Tag { get; } = Guid.NewGuid().ToString("N");

    /// <param name="crashAt">The crash point the daemon dies at (SCRIPTEXECD_TEST_CRASH_AT), if any.</param>
    /// <param name="settings">More of the daemon's environment (SCRIPTEXEC_* settings).</param>
    public async Task<DaemonProcess> StartDaemonAsync(string? crashAt = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        var environment = new Dictionary<string, string> { ["SCRIPTEXEC_CGROUP"] = Cgroup };
        if (crashAt is not null)
        {
            environment["SCRIPTEXECD_TEST_CRASH_AT"] = crashAt;
        }

        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            environment[name] = value;
        }

        var daemon = await DaemonProcess.StartAsync(DataDir, environment);
        _daemons.Add(daemon);
        return daemon;
    }

    public async Task CreateInstanceAsync(RpcClient client, string script, string instance, string source = TreeScript)
    {
        await client.CallAsync("script_set", new { name = script, source });
        await client.CallAsync("script_instance_set", new
        {
            script_name = script,
            instance_name = instance,
            start_trigger = new { type = "manual" },
            stop_grace_s = 1,
            env = new Dictionary<string, string> { [TaggedProcesses.Variable] = Tag },
        });
    }

    /// <summary>
    /// Right after a restart (recovery has returned before anything is served, so nothing is waited for): the
    /// tagged processes still alive, the executions still running or terminating, then two concurrent starts of
    /// <paramref name="script"/>/<paramref name="instance"/> (the run that starts is stopped again), and the integrity check.
    /// </summary>
    public async Task<RecoveryCheck> CheckAfterRestartAsync(DaemonProcess daemon, string script, string instance)
    {
        var orphans = TaggedProcesses.Alive(Tag);
        await using var first = await daemon.ConnectAsync();
        await using var second = await daemon.ConnectAsync();
        var active = (await first.CallAsync("script_execution_get", new
        {
            filter = new { states = new[] { "running", "terminating" } },
            pagination = new { limit = -1000 },
        }))["executions"]!.AsArray();

        var parameters = new { script_name = script, instance_name = instance };
        var replies = await Task.WhenAll(first.CallRawAsync("script_start", parameters), second.CallRawAsync("script_start", parameters));
        var started = replies.Where(r => r["result"] is not null).ToList();
        var refusals = replies.Where(r => r["error"] is not null).Select(r => r["error"]!["code"]!.GetValue<int>()).ToList();
        foreach (var run in started)
        {
            await first.CallAsync("script_stop", new { script_name = script, instance_name = instance, force = true });
            await WaitUntilEndedAsync(first, run["result"]!["execution"]!["id"]!.GetValue<long>());
        }

        return new RecoveryCheck(orphans, active, started.Count, refusals, IntegrityCheck());
    }

    /// <summary>The newest execution of an instance, or null.</summary>
    public static async Task<JsonNode?> LatestAsync(RpcClient client, string script, string instance) =>
        (await client.CallAsync("script_execution_get", new
        {
            filter = new { instances = new[] { new { script_name = script, instance_names = new[] { instance } } } },
            pagination = new { limit = -1 },
        }))["executions"]!.AsArray().FirstOrDefault();

    public static Task<JsonNode> WaitUntilEndedAsync(RpcClient client, long id) =>
        Eventually.ValueAsync(
            async () => (await client.CallAsync("script_execution_get", new { pagination = new { limit = 1, id_exclusive = id - 1 } }))["executions"]![0]!,
            e => e["state"]!.GetValue<string>() is "finished" or "killed",
            $"execution {id} ended");

    public string? IntegrityCheck() => StoreProbe.IntegrityCheck(DataDir);

    public void Dispose()
    {
        foreach (var daemon in _daemons)
        {
            daemon.Dispose();
        }

        TaggedProcesses.KillAll(Tag);

        // A daemon killed with SIGKILL cannot remove its (empty) cgroup directories.
        CgroupLeftovers.RemoveFor(DataDir);
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
            // A leftover may still hold a file; the temp dir is cleaned by the OS eventually.
        }
    }
}
