using ScriptExec.Core;

namespace ScriptExec.Store.Tests;

public sealed class OutputStoreTests : StoreFixture
{
    private static OutputLine Line(long id, string content, OutputStreamKind stream = OutputStreamKind.Stdout) =>
        new(id, content, stream, 1_700_000_000_000 + id);

    private static async Task AppendAsync(OutputStore output, long executionId, params OutputLine[] lines)
    {
        foreach (var line in lines)
        {
            await output.AppendAsync(executionId, line);
        }
    }

    [Test]
    public async Task Flushed_lines_read_back_in_order_with_stream_and_timestamp()
    {
        await using var output = new OutputStore(Db);
        await AppendAsync(output, 7, Line(1, "one"), Line(2, "two", OutputStreamKind.Stderr), Line(3, "three"));

        await output.FlushAsync();

        Assert.That(output.Read(7, afterId: 0, limit: 100), Is.EqualTo(new[]
        {
            new OutputLine(1, "one", OutputStreamKind.Stdout, 1_700_000_000_001),
            new OutputLine(2, "two", OutputStreamKind.Stderr, 1_700_000_000_002),
            new OutputLine(3, "three", OutputStreamKind.Stdout, 1_700_000_000_003),
        }));
    }

    [Test]
    public async Task A_flush_queued_behind_a_commit_under_way_completes_without_a_transaction_of_its_own()
    {
        var emptyTransactions = 0;
        var inserts = 0;
        Db.TraceStatements(statement =>
        {
            if (statement.StartsWith("INSERT INTO output_chunks", StringComparison.Ordinal))
            {
                inserts++;
            }
            else if (statement.StartsWith("COMMIT", StringComparison.OrdinalIgnoreCase))
            {
                emptyTransactions += inserts == 0 ? 1 : 0;
                inserts = 0;
            }
        });

        await using var output = new OutputStore(Db);
        var hold = await HoldWriterAsync();

        // The writer takes the line and waits for the held writer; the flush comes in behind it, as at a run's end
        // while its output's commit is under way.
        await AppendAsync(output, 7, Line(1, "one"));
        Assert.That(SpinWait.SpinUntil(() => output.TakenByWriter == 1, TimeSpan.FromMinutes(1)), Is.True, "the writer took the line");
        var flushed = output.FlushAsync();
        await hold.DisposeAsync();
        await flushed;
        Db.TraceStatements(null);

        Assert.Multiple(() =>
        {
            Assert.That(output.Read(7, afterId: 0, limit: 10).Select(l => l.Id), Is.EqualTo(new long[] { 1 }));
            Assert.That(emptyTransactions, Is.Zero, "none for the flush");
        });
    }

    [Test]
    public async Task Read_pages_by_line_id_after_the_given_one_up_to_the_limit()
    {
        await using var output = new OutputStore(Db);
        await AppendAsync(output, 7, [.. Enumerable.Range(1, 10).Select(i => Line(i, "line " + i))]);
        await output.FlushAsync();

        var page = output.Read(7, afterId: 4, limit: 3);
        var tail = output.Read(7, afterId: 8, limit: 100);
        var past = output.Read(7, afterId: 10, limit: 100);

        Assert.Multiple(() =>
        {
            Assert.That(page.Select(l => l.Id), Is.EqualTo(new long[] { 5, 6, 7 }));
            Assert.That(tail.Select(l => l.Id), Is.EqualTo(new long[] { 9, 10 }));
            Assert.That(past, Is.Empty);
        });
    }

    [Test]
    public async Task Read_of_one_stream_skips_the_other_and_still_pages_by_line_id()
    {
        await using var output = new OutputStore(Db);
        await AppendAsync(
            output, 7,
            Line(1, "out 1"), Line(2, "err 2", OutputStreamKind.Stderr), Line(3, "out 3"),
            Line(4, "err 4", OutputStreamKind.Stderr), Line(5, "err 5", OutputStreamKind.Stderr));
        await output.FlushAsync();

        var stderr = output.Read(7, afterId: 0, limit: 100, OutputStreamKind.Stderr);
        var stderrAfterTwo = output.Read(7, afterId: 2, limit: 1, OutputStreamKind.Stderr);
        var stdout = output.Read(7, afterId: 0, limit: 100, OutputStreamKind.Stdout);

        Assert.Multiple(() =>
        {
            Assert.That(stderr.Select(l => l.Content), Is.EqualTo(new[] { "err 2", "err 4", "err 5" }));
            Assert.That(stderrAfterTwo.Select(l => l.Id), Is.EqualTo(new long[] { 4 }));
            Assert.That(stdout.Select(l => l.Content), Is.EqualTo(new[] { "out 1", "out 3" }));
        });
    }

    [Test]
    public async Task Lines_of_one_execution_are_not_read_for_another()
    {
        await using var output = new OutputStore(Db);
        await AppendAsync(output, 7, Line(1, "seven"));
        await AppendAsync(output, 8, Line(1, "eight"), Line(2, "eight again"));
        await output.FlushAsync();

        Assert.Multiple(() =>
        {
            Assert.That(output.Read(7, 0, 100).Select(l => l.Content), Is.EqualTo(new[] { "seven" }));
            Assert.That(output.Read(8, 0, 100).Select(l => l.Content), Is.EqualTo(new[] { "eight", "eight again" }));
            Assert.That(output.Read(9, 0, 100), Is.Empty);
        });
    }

    [Test]
    public async Task Content_is_stored_as_given_including_empty_lines_and_non_ascii()
    {
        await using var output = new OutputStore(Db);
        await AppendAsync(output, 7, Line(1, ""), Line(2, "grüße 🚀"), Line(3, "tab\there"));
        await output.FlushAsync();

        Assert.That(output.Read(7, 0, 100).Select(l => l.Content), Is.EqualTo(new[] { "", "grüße 🚀", "tab\there" }));
    }

    [Test]
    public async Task More_lines_than_one_batch_all_commit_before_flush_returns()
    {
        // MaxBatch is 8192: this crosses at least two batches, and the flush marker must wait for all of them.
        const int count = 20_000;
        await using var output = new OutputStore(Db);
        for (var i = 1; i <= count; i++)
        {
            await output.AppendAsync(7, Line(i, "l"));
        }

        await output.FlushAsync();

        var all = output.Read(7, 0, count + 1);
        Assert.Multiple(() =>
        {
            Assert.That(all, Has.Count.EqualTo(count));
            Assert.That(all[^1].Id, Is.EqualTo(count));
        });
    }

    [Test]
    public async Task Flush_with_nothing_queued_returns_and_reads_nothing()
    {
        await using var output = new OutputStore(Db);

        await output.FlushAsync();

        Assert.That(output.Read(7, 0, 100), Is.Empty);
    }

    [Test]
    public async Task Dispose_commits_lines_still_queued()
    {
        var output = new OutputStore(Db);
        await AppendAsync(output, 7, Line(1, "a"), Line(2, "b"));

        await output.DisposeAsync();

        await using var reader = new OutputStore(Db);
        Assert.That(reader.Read(7, 0, 100).Select(l => l.Content), Is.EqualTo(new[] { "a", "b" }));
    }

    [Test]
    public async Task A_batch_the_store_refuses_is_counted_lost_per_execution_and_capture_goes_on()
    {
        await using var output = new OutputStore(Db);
        await AppendAsync(output, 7, Line(1, "kept"));
        await output.FlushAsync();

        // Line id 1 again violates the primary key: the whole batch (this line alone, as it is flushed on its own) fails.
        await AppendAsync(output, 7, Line(1, "grüße"));
        await output.FlushAsync();
        var lost = output.TakeLost(7);

        await AppendAsync(output, 7, Line(2, "after"));
        await output.FlushAsync();

        Assert.Multiple(() =>
        {
            Assert.That(lost, Is.EqualTo(new LostOutput(1, System.Text.Encoding.UTF8.GetByteCount("grüße"))));
            Assert.That(output.TakeLost(7), Is.EqualTo(default(LostOutput)), "taking forgets");
            Assert.That(output.TakeLost(8), Is.EqualTo(default(LostOutput)), "other executions lost nothing");
            Assert.That(Db.Availability.Current.LostOutputLines, Is.EqualTo(1));
            Assert.That(output.Read(7, 0, 100).Select(l => l.Content), Is.EqualTo(new[] { "kept", "after" }));
        });
    }
}
