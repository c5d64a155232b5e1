using Dapper;
using ScriptExec.Core;

namespace ScriptExec.Store.Tests;

public sealed class RetentionStoreTests : StoreFixture
{
    private RetentionStore Retention => new(Db);

    private async Task<long> EndedAsync(long startTimestamp = 1_700_000_000, long outputBytes = 0, int lines = 0, ExecutionState state = ExecutionState.Finished)
    {
        var id = await StartAsync("s", "i", ts: startTimestamp);
        if (lines > 0)
        {
            await using var output = new OutputStore(Db);
            for (var line = 1; line <= lines; line++)
            {
                await output.AppendAsync(id, new OutputLine(line, "x", OutputStreamKind.Stdout, 0));
            }

            await output.FlushAsync();
        }

        await Executions.FinishAsync(id, new ExecutionEnd(state, 0, 1, null, false, startTimestamp + 1, outputBytes), CancellationToken.None);
        return id;
    }

    private async Task<long> TerminatingAsync()
    {
        var id = await StartAsync("s", "i");
        await Executions.MarkTerminatingAsync(id, Trigger.Manual("root"), CancellationToken.None);
        return id;
    }

    private long[] RemainingIds()
    {
        using var connection = Db.OpenRead();
        return [.. connection.Query<long>("SELECT id FROM executions ORDER BY id;")];
    }

    private long LineCount(long executionId)
    {
        using var connection = Db.OpenRead();
        return connection.ExecuteScalar<long>("SELECT COALESCE(SUM(line_count), 0) FROM output_chunks WHERE execution_id = @executionId;", new { executionId });
    }

    [Test]
    public async Task Prune_to_count_removes_the_oldest_ended_with_their_output_and_keeps_the_newest()
    {
        var oldest = await EndedAsync(lines: 3);
        var older = await EndedAsync(lines: 2, state: ExecutionState.Killed);
        var newer = await EndedAsync(lines: 4);
        var newest = await EndedAsync(lines: 1);

        var result = await Retention.PruneToCountAsync(2, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(new PruneResult(2, 5)));
            Assert.That(RemainingIds(), Is.EqualTo(new[] { newer, newest }));
            Assert.That(LineCount(oldest) + LineCount(older), Is.Zero);
            Assert.That(LineCount(newer), Is.EqualTo(4));
            Assert.That(LineCount(newest), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Prune_to_count_never_removes_running_or_terminating_executions()
    {
        var running = await StartAsync("s", "i");
        var terminating = await TerminatingAsync();
        var ended = await EndedAsync();
        var newestRunning = await StartAsync("s", "j");

        // Four rows, room for one: only the ended one may go, and the prune stops there instead of looping.
        var result = await Retention.PruneToCountAsync(1, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(new PruneResult(1, 0)));
            Assert.That(RemainingIds(), Is.EqualTo(new[] { running, terminating, newestRunning }));
            Assert.That(RemainingIds(), Does.Not.Contain(ended));
        });
    }

    [Test]
    public async Task Prune_to_count_within_the_limit_removes_nothing()
    {
        await EndedAsync();
        await EndedAsync();

        var result = await Retention.PruneToCountAsync(2, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(PruneResult.None));
            Assert.That(RemainingIds(), Has.Length.EqualTo(2));
        });
    }

    [Test]
    public async Task Prune_to_count_works_through_more_than_one_batch()
    {
        // The store deletes 500 per transaction; 1200 ended rows down to 100 needs three.
        await Db.WriteAsync((c, t) => c.Execute(
            """
            INSERT INTO executions (script_name, instance_name, script_version, start_timestamp, start_trigger_type, state, end_timestamp)
            VALUES ('s', 'i', 'v1', 1, 'manual', 'finished', 2);
            """,
            Enumerable.Range(0, 1200).Select(_ => new { }), t), CancellationToken.None);
        var newestHundred = RemainingIds()[^100..];

        var result = await Retention.PruneToCountAsync(100, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result.Executions, Is.EqualTo(1100));
            Assert.That(RemainingIds(), Is.EqualTo(newestHundred));
        });
    }

    [Test]
    public async Task Prune_older_than_removes_ended_executions_started_strictly_before_the_cutoff()
    {
        var old = await EndedAsync(startTimestamp: 1000, lines: 2);
        var oldRunning = await StartAsync("s", "i", ts: 1000);
        var atCutoff = await EndedAsync(startTimestamp: 2000);
        var recent = await EndedAsync(startTimestamp: 3000);

        var result = await Retention.PruneOlderThanAsync(2000, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(new PruneResult(1, 2)));
            Assert.That(RemainingIds(), Is.EqualTo(new[] { oldRunning, atCutoff, recent }));
            Assert.That(LineCount(old), Is.Zero);
        });
    }

    [Test]
    public async Task Prune_to_output_bytes_removes_the_oldest_ended_until_the_rest_fits()
    {
        var first = await EndedAsync(outputBytes: 400);
        var second = await EndedAsync(outputBytes: 300);
        var third = await EndedAsync(outputBytes: 200);
        var fourth = await EndedAsync(outputBytes: 100);

        // 1000 bytes stored, 450 allowed: removing the first leaves 600, the second too leaves 300.
        var result = await Retention.PruneToOutputBytesAsync(450, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result.Executions, Is.EqualTo(2));
            Assert.That(RemainingIds(), Is.EqualTo(new[] { third, fourth }));
            Assert.That(RemainingIds(), Does.Not.Contain(first).And.Not.Contain(second));
        });
    }

    [Test]
    public async Task Prune_to_output_bytes_ends_when_only_running_executions_hold_the_excess()
    {
        var ended = await EndedAsync(outputBytes: 100);
        var running = await StartAsync("s", "i");

        // The supervisor records bytes at the end only; set them by hand so the excess cannot be pruned away.
        await Db.WriteAsync((c, t) => c.Execute("UPDATE executions SET output_bytes = 500 WHERE id = @running;", new { running }, t), CancellationToken.None);

        var result = await Retention.PruneToOutputBytesAsync(0, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result.Executions, Is.EqualTo(1));
            Assert.That(RemainingIds(), Is.EqualTo(new[] { running }));
            Assert.That(RemainingIds(), Does.Not.Contain(ended));
        });
    }

    [Test]
    public async Task Pruned_ids_are_never_reused()
    {
        await EndedAsync();
        var last = await EndedAsync();
        await Retention.PruneToCountAsync(0, CancellationToken.None);

        var next = await StartAsync("s", "i");

        Assert.That(next, Is.GreaterThan(last));
    }
}
