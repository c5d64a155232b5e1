using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using ScriptExec.Core;
using ScriptExec.Store;
using ScriptExec.Supervisor;
using ScriptExec.Supervisor.Workflows;

namespace ScriptExec.Daemon.Tests;

/// <summary>
/// The workflows every transport and trigger goes through: what a start costs the store before its process is
/// spawned, and that a catalog change cannot race a start.
/// </summary>
public sealed class WorkflowTests
{
    private DaemonUnderTest _daemon = null!;
    private RpcClient _client = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _daemon = await DaemonUnderTest.StartAsync();
        _client = await _daemon.ConnectAsync("unix");
        await _client.CallAsync("script_set", new { name = "cost", source = "true" });
        await _client.CallAsync("script_instance_set", new
        {
            script_name = "cost",
            instance_name = "once",
            env = new Dictionary<string, object> { ["PLAIN"] = "p", ["SECRET"] = new { value = "s3cret", secret = true } },
            start_trigger = new { type = "manual" },
        });
    }

    [TearDown]
    public async Task StopAsync()
    {
        await _client.DisposeAsync();
        await _daemon.DisposeAsync();
    }

    [Test]
    public async Task Script_start_reads_script_and_instance_once_and_writes_once_before_the_spawn()
    {
        var statements = new List<string>();
        var database = _daemon.Services.GetRequiredService<SqliteDatabase>();
        database.TraceStatements(sql =>
        {
            lock (statements)
            {
                statements.Add(sql.Trim());
            }
        });
        JsonNode reply;
        try
        {
            reply = await _client.CallAsync("script_start", new { script_name = "cost", instance_name = "once" });
        }
        finally
        {
            database.TraceStatements(null);
        }

        // The script runs after the start record's commit (its process held before its exec until then): everything
        // up to that COMMIT came before it.
        List<string> beforeSpawn;
        lock (statements)
        {
            var insert = statements.FindIndex(s => s.StartsWith("INSERT INTO executions", StringComparison.Ordinal));
            Assert.That(insert, Is.GreaterThanOrEqualTo(0), "no start record among:\n" + string.Join("\n", statements));
            var commit = statements.FindIndex(insert, s => s.StartsWith("COMMIT", StringComparison.Ordinal));
            beforeSpawn = statements[..(commit + 1)];
        }

        var reads = beforeSpawn.Where(s => s.StartsWith("SELECT", StringComparison.Ordinal)).ToList();
        var transactions = beforeSpawn.Count(s => s.StartsWith("BEGIN", StringComparison.Ordinal));
        TestContext.Out.WriteLine($"before the script runs ({beforeSpawn.Count} statements):\n" + string.Join("\n", beforeSpawn));
        Assert.Multiple(() =>
        {
            Assert.That(reads, Has.Count.EqualTo(1), "reads before the script runs");
            Assert.That(reads[0], Does.Contain("FROM scripts s LEFT JOIN instances i"), "the one read is the script with its instance");
            Assert.That(transactions, Is.EqualTo(1), "write transactions before the script runs");
            Assert.That(reply["execution"]!["id"]!.GetValue<long>(), Is.GreaterThan(0));
        });
    }

    [Test]
    public async Task A_start_waiting_on_a_delete_of_its_instance_is_refused_as_not_found_and_runs_nothing()
    {
        var supervisor = _daemon.Services.GetRequiredService<ExecutionSupervisor>();
        var control = _daemon.Services.GetRequiredService<ExecutionControl>();
        var scripts = _daemon.Services.GetRequiredService<ScriptStore>();

        // The start has read the instance and waits for its reservation when StartAsync returns: it only awaits at
        // the hold. Without the hold it would run the instance the delete removes right after.
        Task<Execution> start;
        using (supervisor.Hold("cost", "once"))
        {
            start = control.StartAsync("cost", "once", Trigger.Manual("test"), null, CancellationToken.None);
            Assert.That(start.IsCompleted, Is.False, "the start waits for the hold");
            Assert.That(await scripts.DeleteInstanceAsync("cost", "once", CancellationToken.None), Is.True);
        }

        var refused = Assert.ThrowsAsync<ScriptExecException>(async () => await start);
        var history = await _client.CallAsync("script_execution_get", new
        {
            filter = new { instances = new[] { new { script_name = "cost" } }, include_outdated = true },
            pagination = new { limit = -10 },
        });
        Assert.Multiple(() =>
        {
            Assert.That(refused!.Kind, Is.EqualTo(ErrorKind.NotFound));
            Assert.That(refused.Message, Does.Contain("instance 'once' of script 'cost' does not exist"));
            Assert.That(history["executions"]!.AsArray(), Is.Empty, "nothing was recorded or run");
        });
    }

    [Test]
    public async Task A_start_waiting_on_a_hold_that_changed_nothing_runs_once_the_hold_is_released()
    {
        var supervisor = _daemon.Services.GetRequiredService<ExecutionSupervisor>();
        var control = _daemon.Services.GetRequiredService<ExecutionControl>();

        Task<Execution> start;
        using (supervisor.Hold("cost", instanceName: null))
        {
            start = control.StartAsync("cost", "once", Trigger.Manual("test"), null, CancellationToken.None);
            Assert.That(start.IsCompleted, Is.False, "the start waits for the hold on its script");
        }

        var started = await start;
        Assert.That(started.InstanceName, Is.EqualTo("once"));
    }

    [Test]
    public async Task Deleting_a_script_is_refused_while_a_hold_is_not_possible_because_an_instance_runs()
    {
        await _client.CallAsync("script_set", new { name = "cost", source = "sleep 30" });
        await _client.CallAsync("script_start", new { script_name = "cost", instance_name = "once" });
        var supervisor = _daemon.Services.GetRequiredService<ExecutionSupervisor>();

        var refused = Assert.Throws<ScriptExecException>(() => supervisor.Hold("cost", instanceName: null));
        var overRpc = await _client.CallErrorAsync("script_delete", new { name = "cost" });
        Assert.Multiple(() =>
        {
            Assert.That(refused!.Kind, Is.EqualTo(ErrorKind.Conflict));
            Assert.That(overRpc["data"]!["reason"]!.GetValue<string>(), Is.EqualTo("conflict"));
        });
        await _client.CallAsync("script_stop", new { script_name = "cost", instance_name = "once", force = true });
    }
}
