using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ScriptExec.Daemon.Tests.Faults;

/// <summary>
/// The data directory on an 8 MB tmpfs that fills up, as on a device whose flash is full: stopping never depends on
/// a write, every refused write is a clean <c>1007 unavailable</c>, lost output is flagged, nothing stays running,
/// and once space returns the daemon stores what it kept in memory and serves writes again by itself.
/// </summary>
[Category("Faults")]
[NonParallelizable]
public sealed class DiskFullTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    // A start refused because the script's file could not be written: refused by the file system, not the store.
    private const string ScriptFileWrite = "script_start (script file)";

    private CapturingLoggerProvider _log = null!;
    private readonly List<int> _pids = [];
    private TmpfsMount _disk = null!;
    private DaemonUnderTest _daemon = null!;
    private RpcClient _client = null!;
    private string _markers = null!;

    [SetUp]
    public async Task StartOnASmallDisk()
    {
        // A log of this test's own: the fixture's tests count log lines.
        _log = new CapturingLoggerProvider();
        _disk = TmpfsMount.MountOrIgnore(megabytes: 8);
        _markers = Directory.CreateTempSubdirectory("scriptexec-markers-").FullName;
        try
        {
            _daemon = await DaemonUnderTest.StartAsync(_disk.Path, services => services.AddSingleton<ILoggerProvider>(_log));
            _client = await _daemon.ConnectAsync("unix");
        }
        catch
        {
            // No tear-down follows a failed set-up: unmount here.
            _disk.Dispose();
            Directory.Delete(_markers, recursive: true);
            throw;
        }
    }

    [TearDown]
    public async Task StopAndUnmount()
    {
        if (_daemon is null)
        {
            return;
        }

        // Unmounted whatever happened above: a failed run must not leave a mount behind.
        try
        {
            TestContext.Out.WriteLine(string.Join('\n', _log.Lines.Where(l => l.Contains("ScriptExec.", StringComparison.Ordinal))));
            await _client.DisposeAsync();
            await _daemon.DisposeAsync();
        }
        finally
        {
            foreach (var pid in _pids)
            {
                ProcessProbe.KillIfAlive(pid);
            }

            _disk.Dispose();
            Directory.Delete(_markers, recursive: true);
            _log.Dispose();
        }
    }

    [Test]
    public async Task A_full_disk_refuses_writes_with_1007_yet_stops_work_and_the_service_comes_back_by_itself()
    {
        // Before the disk fills: a plain runaway, one that ignores SIGTERM, a flood held back by a marker file.
        var go = Path.Combine(_markers, "go");
        await CreateAsync("runaway", "echo ready\nexec sleep 1000\n");
        await CreateAsync("stubborn", "trap '' TERM\necho ready\nwhile :; do sleep 1; done\n");
        await CreateAsync("flood", $"echo ready\nwhile [ ! -e {go} ]; do sleep 0.05; done\n"
            + "i=0\nwhile [ $i -lt 20000 ]; do echo \"line $i of a script that writes faster than a full disk can store\"; i=$((i+1)); done\n");
        // Each run of "later" leaves a line: a start the store refuses must not have run anything of the script.
        var laterRuns = Path.Combine(_markers, "later-runs");
        await CreateAsync("later", $"echo later\necho run >> {laterRuns}\n");
        await CreateAsync("doomed", "echo never\n");
        await CreateAsync("fresh", "echo fresh\n");
        var laterBefore = await StartAsync("later");
        var runaway = await StartAsync("runaway");
        var stubborn = await StartAsync("stubborn");
        var flood = await StartAsync("flood");
        await WaitForExecutionAsync(laterBefore.Id, e => e["state"]!.GetValue<string>() == "finished");
        foreach (var id in new[] { runaway.Id, stubborn.Id, flood.Id })
        {
            await _client.WaitForLineAsync(id, l => l == "ready");
        }

        // Another process fills the disk; the store's own writes then fill what is left, until one is refused.
        var fillers = new List<string> { _disk.FillWith("filler-1") };
        var refusals = new List<(string Method, JsonObject Reply)> { ("script_set", await WriteUntilRefusedAsync()) };

        // The flood's lines cannot be stored; it ends by itself, and its end record fits in the released reserve.
        await File.WriteAllTextAsync(go, string.Empty);
        var flooded = await WaitForExecutionAsync(flood.Id, e => e["state"]!.GetValue<string>() is "finished" or "killed");

        // Then the reserve's space is taken too: now even stop and end records are refused.
        fillers.Add(_disk.FillWith("filler-2"));
        var stopped = await _client.CallRawAsync("script_stop", new { script_name = "runaway", instance_name = "main" });
        var forced = await _client.CallRawAsync("script_stop", new { script_name = "stubborn", instance_name = "main", force = true });
        var runawayGone = await ProcessProbe.WaitUntilGoneAsync(runaway.Pid, Bound);
        var stubbornGone = await ProcessProbe.WaitUntilGoneAsync(stubborn.Pid, Bound);
        var whileFull = await WaitForStatusAsync(s => s["store"]!["pending_end_records"]!.GetValue<int>() == 2);
        // Every writing method, over both transports, then a burst: each a clean 1007, and one log line in all.
        await using (var webSocket = await _daemon.ConnectAsync("websocket"))
        {
            foreach (var client in new[] { _client, webSocket })
            {
                foreach (var (method, parameters) in new (string, object)[]
                {
                    ("script_set", new { name = "written-while-full", source = "echo hi\n" }),
                    ("script_set", new { name = "later", source = "echo changed\n" }),
                    ("script_delete", new { name = "doomed" }),
                    ("script_instance_set", new { script_name = "later", instance_name = "second", start_trigger = new { type = "manual" } }),
                    ("script_instance_delete", new { script_name = "later", instance_name = "main" }),
                    ("state_set", new { xpath = "/fault/disk", value = "full" }),
                    ("script_start", new { script_name = "later", instance_name = "main" }),
                    ("script_execution_rerun", new { execution_id = laterBefore.Id }),
                })
                {
                    refusals.Add((method, await client.CallRawAsync(method, parameters)));
                }

                // Never started, so its script file must be written first: the file system refuses that too.
                refusals.Add((ScriptFileWrite, await client.CallRawAsync("script_start", new { script_name = "fresh", instance_name = "main" })));
            }
        }

        for (var i = 0; i < 100; i++)
        {
            refusals.Add(("state_set", await _client.CallRawAsync("state_set", new { xpath = "/fault/burst", value = i })));
        }

        // Its end is not stored yet, so the instance is still reserved: it cannot run beside a row that says running.
        var besideGhost = await _client.CallRawAsync("script_start", new { script_name = "runaway", instance_name = "main" });

        // Space returns: no restart, no request needed.
        fillers.ForEach(File.Delete);
        var recovered = await WaitForStatusAsync(s => s["store"]!["writable"]!.GetValue<bool>()
            && s["store"]!["pending_end_records"]!.GetValue<int>() == 0);
        var runawayEnd = await WaitForExecutionAsync(runaway.Id, _ => true);
        var stubbornEnd = await WaitForExecutionAsync(stubborn.Id, _ => true);
        var stillActive = (await _client.CallAsync("script_execution_get", new
        {
            filter = new { states = new[] { "running", "terminating" } },
            pagination = new { limit = -100 },
        }))["executions"]!.AsArray();
        var later = (await _client.CallAsync("script_start", new { script_name = "later", instance_name = "main" }))["execution"]!;
        var laterEnd = await WaitForExecutionAsync(later["id"]!.GetValue<long>(), e => e["state"]!.GetValue<string>() == "finished");
        var rewritten = await _client.CallRawAsync("script_set", new { name = "written-after", source = "echo hi\n" });
        var laterRunCount = File.ReadAllLines(laterRuns).Length;

        var refusedCleanly = refusals.Count(r => Code(r.Reply) == 1007);
        TestContext.Out.WriteLine($"writes refused cleanly under disk full: {refusedCleanly} of {refusals.Count} "
            + $"(status.store.refused_writes {recovered["store"]!["refused_writes"]}, lost output lines {recovered["store"]!["lost_output_lines"]})");
        Assert.Multiple(() =>
        {
            foreach (var (method, reply) in refusals)
            {
                Assert.That(Code(reply), Is.EqualTo(1007), () => $"{method} on a full disk: {reply.ToJsonString()}");
                Assert.That(reply["error"]?["data"]?["reason"]?.GetValue<string>(), Is.EqualTo("unavailable"), method);
                Assert.That(reply["error"]?["data"]?["storage"]?.GetValue<string>(), Is.EqualTo("full"), method);
            }

            Assert.That(stopped["error"], Is.Null, () => $"script_stop on a full disk: {stopped.ToJsonString()}");
            Assert.That(stopped["result"]?["execution"]?["state"]?.GetValue<string>(), Is.AnyOf("terminating", "killed"), "as known in memory");
            Assert.That(forced["error"], Is.Null, () => $"forced script_stop on a full disk: {forced.ToJsonString()}");
            Assert.That(runawayGone && stubbornGone, Is.True, "both processes are gone although nothing could be stored");
            Assert.That(whileFull["running"]!.AsArray(), Is.Empty, "status lists no process that is gone");
            Assert.That(whileFull["store"]!["writable"]!.GetValue<bool>(), Is.False);
            Assert.That(whileFull["store"]!["last_error"]?.GetValue<string>(), Is.EqualTo("full"));
            Assert.That(whileFull["store"]!["since_timestamp"], Is.Not.Null);
            Assert.That(Code(besideGhost), Is.EqualTo(1002), () => besideGhost.ToJsonString());

            Assert.That(flooded["output_truncated"]!.GetValue<bool>(), Is.True, () => $"lines were lost: {flooded.ToJsonString()}");
            Assert.That(flooded["exit_code"]?.GetValue<int>(), Is.EqualTo(0));
            Assert.That(whileFull["store"]!["lost_output_lines"]!.GetValue<long>(), Is.GreaterThan(0));

            Assert.That(recovered["store"]!["last_error"], Is.Null);
            Assert.That(
                recovered["store"]!["refused_writes"]!.GetValue<long>(),
                Is.EqualTo(refusals.Count(r => r.Method != ScriptFileWrite && Code(r.Reply) == 1007)),
                "status counts every write the store refused");
            Assert.That(runawayEnd["state"]!.GetValue<string>(), Is.EqualTo("killed"), () => runawayEnd.ToJsonString());
            Assert.That(runawayEnd["exit_code"]?.GetValue<int>(), Is.EqualTo(-15));
            Assert.That(runawayEnd["stop_trigger"]?["type"]?.GetValue<string>(), Is.EqualTo("manual"), "the stop trigger survives the refused terminating write");
            Assert.That(stubbornEnd["state"]!.GetValue<string>(), Is.EqualTo("killed"), () => stubbornEnd.ToJsonString());
            Assert.That(stubbornEnd["exit_code"]?.GetValue<int>(), Is.EqualTo(-9));
            Assert.That(stillActive, Is.Empty, () => $"rows still running: {stillActive.ToJsonString()}");
            Assert.That(laterEnd["exit_code"]?.GetValue<int>(), Is.EqualTo(0), "new starts work again");
            Assert.That(laterRunCount, Is.EqualTo(2), "the run before the fill and the one after: the refused starts ran nothing");
            Assert.That(rewritten["error"], Is.Null, () => $"writes work again: {rewritten.ToJsonString()}");
            Assert.That(IntegrityCheck(), Is.EqualTo("ok"));

            Assert.That(LogCount("Store unavailable"), Is.EqualTo(1), "one warning per episode, not one per refused write");
            Assert.That(LogCount("Output lines are being lost"), Is.EqualTo(1), "one line per episode for lost output");
            Assert.That(LogCount("Store available again"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task A_flood_that_fills_the_disk_while_the_background_checkpoint_runs_ends_flagged_and_leaves_the_store_intact()
    {
        // 10 MB of 100-byte lines onto an 8 MB disk, the output cap raised: the background checkpoint starts after the
        // first MiB stored, and the disk fills under it and the writer alike.
        await RestartWithAsync("""{"output_max_bytes_per_execution": 67108864}""");
        await CreateAsync("flood", "L=$(printf '%099d' 0)\nyes \"$L\" | head -n 100000\n");
        var flood = await StartAsync("flood");
        var ended = await WaitForExecutionAsync(flood.Id, e => e["state"]!.GetValue<string>() is "finished" or "killed");
        var threads = ProcessProbe.ThreadNames(_daemon.Pid);
        var whileFull = await _client.CallAsync("status");
        var refused = await _client.CallRawAsync("script_set", new { name = "written-while-full", source = "#" + new string('x', 64 * 1024) + "\n" });
        var stored = (await _client.CallAsync("script_execution_output_get", new
        {
            filter = new { execution_id = flood.Id },
            pagination = new { limit = 1000 },
        }))["lines"]!.AsArray();

        Assert.Multiple(() =>
        {
            Assert.That(threads, Does.Contain("checkpointer"), "the background checkpoint ran during the flood");
            Assert.That(ended["state"]!.GetValue<string>(), Is.EqualTo("finished"), () => ended.ToJsonString());
            Assert.That(ended["exit_code"]?.GetValue<int>(), Is.EqualTo(0));
            Assert.That(ended["output_truncated"]!.GetValue<bool>(), Is.True, () => $"lines were lost: {ended.ToJsonString()}");
            Assert.That(whileFull["store"]!["writable"]!.GetValue<bool>(), Is.False);
            Assert.That(whileFull["store"]!["last_error"]?.GetValue<string>(), Is.EqualTo("full"));
            Assert.That(whileFull["store"]!["lost_output_lines"]!.GetValue<long>(), Is.GreaterThan(0), "the disk did fill");
            Assert.That(Code(refused), Is.EqualTo(1007), () => refused.ToJsonString());
            Assert.That(stored.Select(l => l!["id"]!.GetValue<long>()), Is.EqualTo(Enumerable.Range(1, 1000).Select(i => (long)i)), "the lines stored before the disk filled");
            Assert.That(IntegrityCheck(), Is.EqualTo("ok"));
        });
    }

    /// <summary>The daemon again on the same disk, with <paramref name="config"/> as its <c>--config</c> file (kept off the disk).</summary>
    private async Task RestartWithAsync(string config)
    {
        var path = Path.Combine(_markers, "config.json");
        await File.WriteAllTextAsync(path, config);
        await _client.DisposeAsync();
        await _daemon.DisposeAsync();
        _daemon = await DaemonUnderTest.StartAsync(_disk.Path, services => services.AddSingleton<ILoggerProvider>(_log), "--config", path);
        _client = await _daemon.ConnectAsync("unix");
    }

    private static int? Code(JsonObject reply) => reply["error"]?["code"]?.GetValue<int>();

    private int LogCount(string text) => _log.Lines.Count(l => l.Contains(text, StringComparison.Ordinal));

    private async Task CreateAsync(string name, string source)
    {
        await _client.CallAsync("script_set", new { name, source });
        await _client.CallAsync("script_instance_set", new { script_name = name, instance_name = "main", start_trigger = new { type = "manual" } });
    }

    private async Task<(long Id, int Pid)> StartAsync(string name)
    {
        var execution = (await _client.CallAsync("script_start", new { script_name = name, instance_name = "main" }))["execution"]!;
        var pid = execution["pid"]?.GetValue<int>() ?? 0;
        if (pid > 0)
        {
            _pids.Add(pid);
        }

        return (execution["id"]!.GetValue<long>(), pid);
    }

    /// <summary>Sets scripts with large sources until the store refuses one; returns that reply.</summary>
    private async Task<JsonObject> WriteUntilRefusedAsync()
    {
        var source = "#" + new string('x', 64 * 1024) + "\necho big\n";
        for (var i = 0; i < 500; i++)
        {
            var reply = await _client.CallRawAsync("script_set", new { name = $"big-{i}", source });
            if (reply["error"] is not null)
            {
                return reply;
            }
        }

        Assert.Fail("500 large writes to a full disk were all accepted");
        return null!;
    }

    private Task<JsonNode> WaitForStatusAsync(Func<JsonNode, bool> condition) =>
        Eventually.ValueAsync(() => _client.CallAsync("status"), condition, "status reached the expected condition", Bound);

    private Task<JsonNode> WaitForExecutionAsync(long id, Func<JsonNode, bool> condition) =>
        Eventually.ValueAsync(
            async () => (await _client.CallAsync("script_execution_output_get", new
            {
                filter = new { execution_id = id },
                pagination = new { limit = 1 },
            }))["execution"]!,
            condition,
            $"execution {id} reached the expected condition",
            Bound);

    private string? IntegrityCheck() => StoreProbe.IntegrityCheck(_disk.Path);
}
