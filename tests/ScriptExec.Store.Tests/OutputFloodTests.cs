using System.Text;
using ScriptExec.Core;

namespace ScriptExec.Store.Tests;

/// <summary>
/// A flood through the store as capture hands it over (one batch per 64 KiB read): the write-ahead log is folded in
/// while the flood goes on and stays bounded (a background checkpoint alone let it grow as large as the flood), and
/// a batch's buffers are sized to what it holds, so the queue's byte bound is the memory it takes.
/// </summary>
public sealed class OutputFloodTests : StoreFixture
{
    private const long Execution = 7;
    private const int LineBytes = 99;
    private const int ReadBytes = 64 * 1024;

    [Test]
    public async Task A_flood_leaves_a_bounded_write_ahead_log_and_every_line_stored()
    {
        const long floodBytes = 64L * 1024 * 1024;
        var walPath = Db.DatabasePath + "-wal";
        var content = Encoding.ASCII.GetBytes(new string('x', LineBytes));
        const int linesPerRead = ReadBytes / (LineBytes + 1);
        long lineId = 0, largestWal = 0;

        await using (var output = new OutputStore(Db))
        {
            for (long written = 0; written < floodBytes; written += linesPerRead * (LineBytes + 1))
            {
                var batch = new OutputBatch(Execution, linesPerRead * LineBytes);
                for (var i = 0; i < linesPerRead; i++)
                {
                    batch.Add(++lineId, OutputStreamKind.Stdout, 1_700_000_000_000 + lineId, content);
                }

                await output.AppendAsync(batch);
                largestWal = Math.Max(largestWal, new FileInfo(walPath).Length);
            }

            await output.FlushAsync();
            largestWal = Math.Max(largestWal, new FileInfo(walPath).Length);

            var last = output.Read(Execution, lineId - 1, 10);
            Assert.That(last.Select(l => l.Id), Is.EqualTo(new[] { lineId }));
        }

        // The log's limit and one queue's worth written as one transaction past it, twice over for the pass under way.
        const long bound = SqliteDatabase.LogLimitBytes + (2 * OutputStore.MaxQueuedBytes);
        TestContext.Out.WriteLine($"largest write-ahead log {largestWal >> 20} MiB for {floodBytes >> 20} MiB of output (bound {bound >> 20} MiB)");
        Assert.That(largestWal, Is.LessThanOrEqualTo(bound));
    }

    [Test]
    public async Task An_output_write_after_the_log_grew_past_its_limit_copies_the_rest_and_starts_it_over()
    {
        var walPath = Db.DatabasePath + "-wal";
        await ExecuteAsync("CREATE TABLE filler (b BLOB);");

        // A reader on an old snapshot keeps any checkpoint from copying the filler: the log grows past its limit, and
        // once the reader is gone it is not all copied yet, so without the fold the next write would go on appending.
        using (var reader = Db.OpenRead())
        using (var snapshot = reader.BeginTransaction(deferred: true))
        {
            using (var read = reader.CreateCommand())
            {
                read.Transaction = snapshot;
                read.CommandText = "SELECT count(*) FROM filler;";
                read.ExecuteScalar();
            }

            await ExecuteAsync("INSERT INTO filler VALUES (zeroblob($bytes));", ("$bytes", SqliteDatabase.LogLimitBytes + (2 * 1024 * 1024)));
        }

        Assert.That(new FileInfo(walPath).Length, Is.GreaterThan(SqliteDatabase.LogLimitBytes), "the log grew past its limit");

        await using (var output = new OutputStore(Db))
        {
            using var batch = new OutputBatch(Execution);
            batch.Add(1, OutputStreamKind.Stdout, 1_700_000_000_001, "after the filler"u8);
            await output.AppendAsync(batch);
            await output.FlushAsync();
        }

        Assert.That(new FileInfo(walPath).Length, Is.LessThanOrEqualTo(SqliteDatabase.LogFileKeptBytes), "the output write started the log over and cut its file back");
    }

    [Test]
    public async Task A_writer_that_fell_behind_commits_the_queue_a_MiB_at_a_time_so_a_full_disk_loses_one_transaction()
    {
        // Six MiB queued (under the queue's bound, so no append waits) while another write holds the writer.
        const long queuedBytes = 6L * 1024 * 1024;
        var content = Encoding.ASCII.GetBytes(new string('x', LineBytes));
        const int linesPerRead = ReadBytes / (LineBytes + 1);
        var commits = new List<long>();
        long insertsSinceCommit = 0, lineId = 0, queued = 0;
        Db.TraceStatements(statement =>
        {
            if (statement.Contains("INSERT INTO output_chunks", StringComparison.Ordinal))
            {
                insertsSinceCommit++;
            }
            else if (statement.StartsWith("COMMIT", StringComparison.OrdinalIgnoreCase) && insertsSinceCommit > 0)
            {
                commits.Add(insertsSinceCommit);
                insertsSinceCommit = 0;
            }
        });

        await using (var output = new OutputStore(Db))
        {
            var hold = await HoldWriterAsync();
            while (queued < queuedBytes)
            {
                var batch = new OutputBatch(Execution, linesPerRead * LineBytes);
                for (var i = 0; i < linesPerRead; i++)
                {
                    batch.Add(++lineId, OutputStreamKind.Stdout, 1_700_000_000_000 + lineId, content);
                }

                queued += batch.QueuedBytes;
                await output.AppendAsync(batch);
            }

            await hold.DisposeAsync();
            await output.FlushAsync();
            Assert.That(output.Read(Execution, lineId - 1, 10).Select(l => l.Id), Is.EqualTo(new[] { lineId }));
        }

        Db.TraceStatements(null);

        // Taken all at once, the queue would be one transaction after the first (which the first append woke).
        TestContext.Out.WriteLine($"{queued >> 20} MiB queued, committed in {commits.Count} transactions of {string.Join(", ", commits)} chunks");
        Assert.That(commits, Has.Count.GreaterThanOrEqualTo((int)(queued / OutputStore.MaxCommitBytes)));
    }

    [Test]
    public void A_one_line_batch_holds_a_small_buffer_and_a_flood_read_one_full_chunk_buffer()
    {
        using var quiet = new OutputBatch(Execution, expectedBytes: 12);
        quiet.Add(1, OutputStreamKind.Stdout, 1_700_000_000_001, "hello world\n"u8[..11]);

        using var flood = new OutputBatch(Execution, expectedBytes: ReadBytes);
        var line = Encoding.ASCII.GetBytes(new string('x', LineBytes));
        for (var i = 1; i <= ReadBytes / (LineBytes + 1); i++)
        {
            flood.Add(i, OutputStreamKind.Stdout, 1_700_000_000_000 + i, line);
        }

        Assert.Multiple(() =>
        {
            // Before, every batch rented a full chunk's 64 KiB: a quiet script's queue held 64 KiB per line.
            Assert.That(quiet.QueuedBytes, Is.LessThan(1024));
            Assert.That(flood.Chunks.Select(c => c.Capacity).First(), Is.EqualTo(ChunkBuffers.FullSize));
            Assert.That(flood.QueuedBytes, Is.LessThan(2L * ChunkBuffers.FullSize));
        });
    }
}
