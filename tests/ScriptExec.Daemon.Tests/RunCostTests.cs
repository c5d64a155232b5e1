using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using ScriptExec.Core;
using ScriptExec.Daemon.Tests.Support;
using ScriptExec.Store;
using ScriptExec.Supervisor;

namespace ScriptExec.Daemon.Tests;

/// <summary>
/// What one run costs the store, counted with <see cref="SqliteDatabase.TraceStatements"/> from the start request
/// until the end's change was raised: the start record and its pid, one write transaction to end it (output chunks
/// aside), and no read of what the daemon already holds in memory.
/// </summary>
public sealed class RunCostTests
{
    private DaemonUnderTest _daemon = null!;
    private RpcClient _client = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _daemon = await DaemonUnderTest.StartAsync();
        _client = await _daemon.ConnectAsync("unix");
        await _client.CallAsync("script_set", new { name = "cost", source = "echo hello" });
        await _client.CallAsync("script_instance_set", new
        {
            script_name = "cost",
            instance_name = "once",
            start_trigger = new { type = "manual" },
            restart = new { on = "failure" },
        });
    }

    [TearDown]
    public async Task StopAsync()
    {
        await _client.DisposeAsync();
        await _daemon.DisposeAsync();
    }

    [Test]
    public async Task A_run_writes_its_start_with_pid_and_its_end_once_each_and_reads_nothing_it_holds()
    {
        // A first run warms what may be cached; the runs after it are the ones counted.
        await RunTracedAsync();
        var statements = await RunTracedAsync();
        var second = await RunTracedAsync();

        var text = string.Join("\n", statements);
        TestContext.Out.WriteLine($"one run ({statements.Count} statements):\n{text}");
        var transactions = Transactions(statements);
        static bool IsChunkWrite(List<string> t) => t.Exists(s => s.StartsWith("INSERT INTO output_chunks", StringComparison.Ordinal));
        var others = transactions.Where(t => !IsChunkWrite(t)).ToList();
        var chunkWrites = transactions.Where(IsChunkWrite).ToList();
        var reads = statements.Where(s => s.StartsWith("SELECT", StringComparison.Ordinal)).ToList();
        Assert.Multiple(() =>
        {
            // The pid is in the start record: the child waits before its exec until that commit.
            Assert.That(others.Select(t => t[0]).ToList(), Has.Count.EqualTo(2)
                    .And.Some.StartsWith("INSERT INTO executions")
                    .And.Some.Contains("exit_code = "),
                "write transactions other than output chunks: the start record with the pid, the end record (with the outcome)\n" + text);
            Assert.That(statements, Has.None.StartsWith("UPDATE executions SET pid = "), "no pid record of its own\n" + text);
            Assert.That(chunkWrites, Has.Count.EqualTo(1), "the one line of output is one chunk write\n" + text);
            Assert.That(reads, Has.None.Contains("WHERE id = "), "the reply and the notifications are built from memory\n" + text);
            Assert.That(reads, Has.None.Contains("FROM instances WHERE script_name = "), "the end decides the restart policy from memory\n" + text);

            // What it runs was read by the first run and the catalog has not changed since; the overview is from memory too.
            Assert.That(reads, Is.Empty, "no read: the first run read the script with its instance, and nothing changed since\n" + text);
            Assert.That(second, Has.Count.EqualTo(statements.Count), "every run costs the same:\n" + string.Join("\n", second));
        });
    }

    [Test]
    public async Task Runs_one_after_another_reuse_one_gate_pair_and_make_no_fifo_each()
    {
        var gates = Path.Combine(_daemon.DataDir, "spawn-gates");
        Assume.That(Directory.Exists(gates), "this kernel cannot hold a child at a gate");

        for (var i = 0; i < 5; i++)
        {
            await RunTracedAsync();
        }

        // A pair may be reused once no spawn that could hold a copy of its FIFOs is in flight; before, every run
        // within a second of the last made a new pair (a mkfifo each, 0.3 ms on ext4, and a write on a device's flash).
        Assert.That(Directory.GetFiles(gates), Has.Length.EqualTo(2), "the start-up probe's pair, reused by every run");
    }

    [Test]
    public async Task A_run_leaves_no_cgroup_behind_once_its_end_is_recorded()
    {
        await _client.CallAsync("script_set", new { name = "cost", source = "#!/bin/sh\ngrep '^0::' /proc/self/cgroup\n" });
        await RunTracedAsync();
        var id = (await _client.CallAsync("script_execution_get", new
        {
            filter = new { instances = new[] { new { script_name = "cost", instance_names = new[] { "once" } } } },
            pagination = new { limit = -1 },
        }))["executions"]![0]!["id"]!.GetValue<long>();
        var line = (await _client.ReadAllContentAsync(id)).Single();
        Assume.That(line, Does.Contain("/exec-" + id), "this machine gives a run no cgroup of its own");

        // Removed after the end is announced, off the way from the script's exit to the caller.
        var cgroup = RunCgroup.Directory([line], "", "v2");
        Assert.That(Directory.Exists(Path.GetDirectoryName(cgroup)), Is.True, $"the daemon's cgroup tree, where the run's was: {cgroup}");
        await Eventually.ThatAsync(() => !Directory.Exists(cgroup), $"{cgroup} is removed after the run's end");
    }

    [Test]
    public async Task A_run_after_a_catalog_change_reads_what_it_runs_once()
    {
        await RunTracedAsync();
        await _client.CallAsync("script_set", new { name = "cost", source = "echo changed" });

        var statements = await RunTracedAsync();

        // The overview is read again as well (it follows the catalog); what the start runs is read once.
        var runnableReads = statements.Count(s => s.StartsWith("SELECT", StringComparison.Ordinal) && s.Contains("FROM scripts s LEFT JOIN instances i", StringComparison.Ordinal));
        Assert.That(runnableReads, Is.EqualTo(1), "the start reads the changed script with its instance\n" + string.Join("\n", statements));
    }

    [Test]
    public async Task A_reply_built_from_memory_says_outdated_once_the_script_changed_during_the_run()
    {
        await _client.CallAsync("script_set", new { name = "cost", source = "exec sleep 30" });
        var started = await _client.CallAsync("script_start", new { script_name = "cost", instance_name = "once" });
        await _client.CallAsync("script_set", new { name = "cost", source = "exec sleep 31" });

        var stopped = await _client.CallAsync("script_stop", new { script_name = "cost", instance_name = "once", force = true });
        var id = started["execution"]!["id"]!.GetValue<long>();
        var stored = await Eventually.ValueAsync(
            async () => (await _client.CallAsync("script_execution_output_get", new
            {
                filter = new { execution_id = id },
                pagination = new { limit = 1 },
            }))["execution"]!,
            e => e["state"]!.GetValue<string>() == "killed",
            "the stopped run ends");
        var overview = stopped["scripts"]![0]!["instances"]![0]!["last_execution"]!;

        Assert.Multiple(() =>
        {
            Assert.That(started["execution"]!["is_outdated"]!.GetValue<bool>(), Is.False);
            Assert.That(stopped["execution"]!["is_outdated"]!.GetValue<bool>(), Is.True, "the stop's reply");
            Assert.That(overview["id"]!.GetValue<long>(), Is.EqualTo(id), "the overview's newest run is the one stopped");
            Assert.That(overview["is_outdated"]!.GetValue<bool>(), Is.True, "the overview read again after the script changed");
            Assert.That(stored["is_outdated"]!.GetValue<bool>(), Is.True, "as stored");
        });
    }

    /// <summary>The statements of one run, from its start request until its end was raised.</summary>
    private async Task<List<string>> RunTracedAsync()
    {
        var statements = new List<string>();
        var database = _daemon.Services.GetRequiredService<SqliteDatabase>();
        var supervisor = _daemon.Services.GetRequiredService<ExecutionSupervisor>();
        var ended = new TaskCompletionSource<Execution>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(Execution execution)
        {
            if (!execution.State.IsActive())
            {
                ended.TrySetResult(execution);
            }
        }

        supervisor.ExecutionChanged += OnChanged;
        database.TraceStatements(sql =>
        {
            lock (statements)
            {
                statements.Add(sql.Trim());
            }
        });
        JsonNode reply;
        Execution end;
        try
        {
            reply = await _client.CallAsync("script_start", new { script_name = "cost", instance_name = "once" });
            end = await ended.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            database.TraceStatements(null);
            supervisor.ExecutionChanged -= OnChanged;
        }

        Assert.That(end.Id, Is.EqualTo(reply["execution"]!["id"]!.GetValue<long>()));
        lock (statements)
        {
            return [.. statements];
        }
    }

    private static List<List<string>> Transactions(List<string> statements)
    {
        var transactions = new List<List<string>>();
        List<string>? open = null;
        foreach (var statement in statements)
        {
            if (statement.StartsWith("BEGIN", StringComparison.Ordinal))
            {
                open = [];
                transactions.Add(open);
            }
            else if (statement.StartsWith("COMMIT", StringComparison.Ordinal) || statement.StartsWith("ROLLBACK", StringComparison.Ordinal))
            {
                open = null;
            }
            else
            {
                open?.Add(statement);
            }
        }

        return transactions;
    }
}
