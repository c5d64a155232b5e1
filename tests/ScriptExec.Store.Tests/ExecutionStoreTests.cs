using ScriptExec.Core;

namespace ScriptExec.Store.Tests;

public sealed class ExecutionStoreTests : StoreFixture
{
    [Test]
    public async Task Started_execution_reads_back_running_without_end_fields()
    {
        var id = await StartAsync("hello", "manual");
        await Executions.SetProcessAsync(id, 4242, 99, "boot", CancellationToken.None);

        var e = Executions.Get(id)!;

        Assert.Multiple(() =>
        {
            Assert.That(e.State, Is.EqualTo(ExecutionState.Running));
            Assert.That(e.Pid, Is.EqualTo(4242));
            Assert.That(e.StartTrigger, Is.EqualTo(Trigger.Manual("root")));
            Assert.That(e.DurationMs, Is.Null);
            Assert.That(e.ExitCode, Is.Null);
            Assert.That(e.StopTrigger, Is.Null);
            Assert.That(e.Arguments, Is.EqualTo("-v"));
        });
    }

    [Test]
    public async Task Start_and_end_records_written_again_by_their_compiled_statements_keep_nothing_of_the_one_before()
    {
        var first = await Executions.InsertStartedAsync(
            new NewExecution("s", "a", "v1", 1_700_000_000, new Trigger(TriggerType.Schedule, "*/5 * * * *", null), "--verbose"), CancellationToken.None);
        var second = await Executions.InsertStartedAsync(
            new NewExecution("s", "b", "v2", 1_700_000_001, Trigger.Manual("root"), null), CancellationToken.None);
        await Executions.FinishAsync(first, new ExecutionEnd(ExecutionState.Killed, -9, 10, Trigger.System("timeout"), true, 1_700_000_002), CancellationToken.None);
        await Executions.FinishAsync(second, new ExecutionEnd(ExecutionState.Finished, 0, 20, null, false, 1_700_000_003), CancellationToken.None);

        var a = Executions.Get(first)!;
        var b = Executions.Get(second)!;
        Assert.Multiple(() =>
        {
            Assert.That((a.InstanceName, a.StartTrigger.Setting, a.Arguments, a.ExitCode, a.StopTrigger), Is.EqualTo(
                ("a", (string?)"*/5 * * * *", (string?)"--verbose", (int?)-9, (Trigger?)Trigger.System("timeout"))));
            Assert.That((b.InstanceName, b.ScriptVersion, b.StartTrigger, b.Arguments, b.State, b.ExitCode, b.StopTrigger, b.OutputTruncated), Is.EqualTo(
                ("b", "v2", Trigger.Manual("root"), (string?)null, ExecutionState.Finished, (int?)0, (Trigger?)null, false)),
                "the second start and end carry none of the first's values");
        });
    }

    [Test]
    public async Task A_compiled_write_that_failed_is_reset_and_runs_again_with_new_values()
    {
        const string sql = "INSERT INTO temp.probe (id, document) VALUES (@id, @document);";
        await Db.WriteAsync((c, _) => Db.ExecuteOnWriter(c, "CREATE TEMP TABLE probe (id INTEGER PRIMARY KEY, document TEXT NOT NULL);", 0, static (_, _) => { }), CancellationToken.None);
        Task<int> Insert(long id, string document) =>
            Db.WriteAsync((c, _) => Db.ExecuteOnWriter(c, sql, (id, document), static (s, v) =>
            {
                s.Bind("@id", v.id);
                s.Bind("@document", v.document);
            }), CancellationToken.None);

        Assert.That(await Insert(7, "{}"), Is.EqualTo(1));
        Assert.That(() => Insert(7, "{\"again\":1}"), Throws.InstanceOf<Microsoft.Data.Sqlite.SqliteException>(), "the same key twice");
        Assert.That(await Insert(8, "{\"b\":2}"), Is.EqualTo(1), "the statement that failed runs again");
        Assert.That(await Db.WriteAsync((c, _) => Db.ExecuteOnWriter(c, "DELETE FROM temp.probe;", 0, static (_, _) => { }), CancellationToken.None),
            Is.EqualTo(2), "both rows, and only they, were stored");
    }

    [Test]
    public async Task Finish_keeps_the_stop_trigger_recorded_when_termination_began()
    {
        var id = await StartAsync("hello", "manual");
        Assert.That(await Executions.MarkTerminatingAsync(id, Trigger.Manual("alice"), CancellationToken.None), Is.True);
        Assert.That(Executions.Get(id)!.State, Is.EqualTo(ExecutionState.Terminating));

        await Executions.FinishAsync(id, new ExecutionEnd(ExecutionState.Killed, -15, 120, null, false, 1_700_000_001), CancellationToken.None);

        var e = Executions.Get(id)!;
        Assert.Multiple(() =>
        {
            Assert.That(e.State, Is.EqualTo(ExecutionState.Killed));
            Assert.That(e.ExitCode, Is.EqualTo(-15));
            Assert.That(e.DurationMs, Is.EqualTo(120));
            Assert.That(e.StopTrigger, Is.EqualTo(Trigger.Manual("alice")));
            Assert.That(e.Pid, Is.Null);
        });
    }

    [Test]
    public async Task Finish_stores_the_lines_the_output_budget_dropped_and_a_started_run_has_none()
    {
        var dropping = await StartAsync("flood", "a");
        var quiet = await StartAsync("quiet", "a");
        Assert.That(Executions.Get(dropping)!.OutputDroppedLines, Is.Zero);

        await Executions.FinishAsync(dropping, new ExecutionEnd(ExecutionState.Finished, 0, 10, null, false, 1, 100, OutputDroppedLines: 19_900), CancellationToken.None);
        await Executions.FinishAsync(quiet, new ExecutionEnd(ExecutionState.Finished, 0, 10, null, false, 1), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(Executions.Get(dropping)!.OutputDroppedLines, Is.EqualTo(19_900));
            Assert.That(Executions.Get(quiet)!.OutputDroppedLines, Is.Zero);
        });
    }

    [Test]
    public async Task Aggregate_counts_states_exit_codes_and_durations()
    {
        var a = await StartAsync("s", "a");
        var b = await StartAsync("s", "b");
        await StartAsync("t", "c");
        await Executions.FinishAsync(a, new ExecutionEnd(ExecutionState.Finished, 0, 10, null, false, 1), CancellationToken.None);
        await Executions.FinishAsync(b, new ExecutionEnd(ExecutionState.Finished, 2, 30, null, false, 1), CancellationToken.None);

        var all = Executions.Aggregate();
        var onlyT = Executions.Aggregate([new InstanceSelector("t")]);

        Assert.Multiple(() =>
        {
            Assert.That(all, Is.EqualTo(new ExecutionCounts(1, 0, 2, 0, 1, 1, 2, 20.0, 10, 30)));
            Assert.That(onlyT.Running, Is.EqualTo(1));
            Assert.That(onlyT.Total, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Filter_options_list_distinct_values()
    {
        var a = await StartAsync("s", "a");
        await StartAsync("s", "b", trigger: new Trigger(TriggerType.Xpath, "/x"));
        await Executions.FinishAsync(a, new ExecutionEnd(ExecutionState.Finished, 3, 10, null, false, 1), CancellationToken.None);

        var options = Executions.FilterOptions(includeOutdated: false);

        Assert.Multiple(() =>
        {
            Assert.That(options.Instances.Single().InstanceNames, Is.EqualTo(new[] { "a", "b" }));
            Assert.That(options.ExitCodes, Is.EqualTo(new[] { 3 }));
            Assert.That(options.States, Is.EqualTo(new[] { ExecutionState.Running, ExecutionState.Finished }));
            Assert.That(options.TriggerTypes, Is.EqualTo(new[] { TriggerType.Manual, TriggerType.Xpath }));
            Assert.That(options.Usernames, Is.EqualTo(new[] { "root" }));
        });
    }

    [Test]
    public async Task New_script_version_marks_older_executions_outdated()
    {
        var v1 = ScriptDefinition.VersionOf("echo 1");
        await Scripts.SetScriptAsync(new ScriptDefinition("s", "echo 1", v1, null, 1), CancellationToken.None);
        var id = await StartAsync("s", "a", v1);

        await Scripts.SetScriptAsync(new ScriptDefinition("s", "echo 2", ScriptDefinition.VersionOf("echo 2"), null, 2), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(Executions.Get(id)!.IsOutdated, Is.True);
            Assert.That(Executions.Query(ExecutionFilter.All, new Pagination(10)), Is.Empty);
            Assert.That(Executions.Query(ExecutionFilter.All with { IncludeOutdated = true }, new Pagination(10)).Single().Id, Is.EqualTo(id));
        });
    }

    [Test]
    public async Task Output_lines_are_read_back_in_order_after_flush()
    {
        await using var output = new OutputStore(Db);
        for (var i = 1; i <= 100; i++)
        {
            await output.AppendAsync(7, new OutputLine(i, $"line {i}", i % 10 == 0 ? OutputStreamKind.Stderr : OutputStreamKind.Stdout, i));
        }

        await output.FlushAsync();

        var page = output.Read(7, afterId: 50, limit: 10);
        var stderr = output.Read(7, afterId: 0, limit: 1000, OutputStreamKind.Stderr);
        Assert.Multiple(() =>
        {
            Assert.That(page.Select(l => l.Id), Is.EqualTo(Enumerable.Range(51, 10).Select(i => (long)i)));
            Assert.That(page[0].Content, Is.EqualTo("line 51"));
            Assert.That(stderr, Has.Count.EqualTo(10));
        });
    }
}
