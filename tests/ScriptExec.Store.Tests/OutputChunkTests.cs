using Dapper;
using ScriptExec.Core;

namespace ScriptExec.Store.Tests;

/// <summary>The chunked layout of output: lines cut into chunks where they must be, and read back exactly as given.</summary>
public sealed class OutputChunkTests : StoreFixture
{
    private static OutputLine Line(long id, string content, OutputStreamKind stream = OutputStreamKind.Stdout, long? timestampMs = null) =>
        new(id, content, stream, timestampMs ?? 1_700_000_000_000 + id);

    private (long First, long Count)[] Chunks(long executionId)
    {
        using var connection = Db.OpenRead();
        return [.. connection.Query<ChunkRow>(
            "SELECT first_line, line_count FROM output_chunks WHERE execution_id = @executionId ORDER BY first_line;", new { executionId })
            .Select(c => (c.FirstLine, c.LineCount))];
    }

    [Test]
    public void A_chunk_reads_back_every_line_with_its_stream_timestamp_and_content()
    {
        OutputLine[] lines =
        [
            Line(5, "", timestampMs: 0),
            Line(6, "grüße 🚀", OutputStreamKind.Stderr, timestampMs: 1_700_000_000_123),
            Line(7, "earlier clock", timestampMs: 3),
            Line(8, "tab\there\0nul", timestampMs: long.MaxValue / 2),
            Line(9, new string('x', 200_000), timestampMs: 1_700_000_000_100),
        ];
        using var chunk = new OutputChunkBuilder();
        foreach (var line in lines)
        {
            Assert.That(chunk.Accepts(3, line.Id), Is.True);
            chunk.Append(3, line);
        }

        var read = new List<OutputLine>();
        var reader = new OutputChunkReader(chunk.Encoded, chunk.FirstLine);
        while (true)
        {
            var id = reader.NextLineId;
            if (!reader.Next(out var stream, out var timestamp, out var content))
            {
                break;
            }

            read.Add(new OutputLine(id, System.Text.Encoding.UTF8.GetString(content), stream, timestamp));
        }

        Assert.Multiple(() =>
        {
            Assert.That(read, Is.EqualTo(lines));
            Assert.That(chunk.Streams, Is.EqualTo(OutputChunk.StreamBit(OutputStreamKind.Stdout) | OutputChunk.StreamBit(OutputStreamKind.Stderr)));
            Assert.That(chunk.Accepts(3, 11), Is.False, "a gap in line ids starts a new chunk");
            Assert.That(chunk.Accepts(4, 10), Is.False, "another execution starts a new chunk");
            Assert.That(chunk.Accepts(3, 10), Is.False, "past its byte bound a chunk takes nothing more");
        });
    }

    [Test]
    public async Task A_flood_is_stored_as_bounded_chunks_and_any_page_reads_exactly_its_lines()
    {
        const int count = 5_000;
        await using var output = new OutputStore(Db);

        // Queued while the writer waits, so how many rows the lines make does not depend on how fast appends are.
        var hold = await HoldWriterAsync();
        for (var i = 1; i <= count; i++)
        {
            await output.AppendAsync(7, Line(i, $"line {i}", i % 7 == 0 ? OutputStreamKind.Stderr : OutputStreamKind.Stdout));
        }

        await hold.DisposeAsync();
        await output.FlushAsync();
        var chunks = Chunks(7);

        Assert.Multiple(() =>
        {
            Assert.That(chunks, Has.Length.LessThan(count / 100), "a row holds many lines");
            Assert.That(chunks.Max(c => c.Count), Is.LessThanOrEqualTo(OutputChunk.MaxLines));
            Assert.That(chunks.Sum(c => c.Count), Is.EqualTo(count));
            foreach (var after in new long[] { 0, 1, 1023, 1024, 1025, chunks[1].First - 1, chunks[1].First, 4_990, count })
            {
                var page = output.Read(7, after, 1000);
                var expected = Enumerable.Range((int)after + 1, (int)Math.Min(1000, count - after)).Select(i => (long)i);
                Assert.That(page.Select(l => l.Id), Is.EqualTo(expected), $"after {after}");
                Assert.That(page.Select(l => l.Content), Is.EqualTo(expected.Select(i => $"line {i}")), $"after {after}");
            }

            var stderr = output.Read(7, 1_000, 50, OutputStreamKind.Stderr);
            Assert.That(stderr.Select(l => l.Id), Is.EqualTo(Enumerable.Range(1_001, 350).Where(i => i % 7 == 0).Select(i => (long)i)));
        });
    }

    [Test]
    public async Task A_gap_in_line_ids_cuts_the_chunk_and_reads_skip_it()
    {
        await using var output = new OutputStore(Db);

        // One batch, as capture hands them over: appended line by line, the writer could take the first line before
        // the next was queued and store it as a chunk of its own (seen on a loaded CI host).
        var batch = new OutputBatch(7);
        foreach (var id in new long[] { 1, 2, 3, 10, 11, 40 })
        {
            batch.Add(id, OutputStreamKind.Stdout, 0, System.Text.Encoding.UTF8.GetBytes("l" + id));
        }

        await output.AppendAsync(batch);
        await output.FlushAsync();

        Assert.Multiple(() =>
        {
            Assert.That(Chunks(7), Is.EqualTo(new (long, long)[] { (1, 3), (10, 2), (40, 1) }));
            Assert.That(output.Read(7, 2, 100).Select(l => l.Id), Is.EqualTo(new long[] { 3, 10, 11, 40 }));
            Assert.That(output.Read(7, 5, 2).Select(l => l.Id), Is.EqualTo(new long[] { 10, 11 }));
            Assert.That(output.Read(7, 11, 100).Select(l => l.Id), Is.EqualTo(new long[] { 40 }));
        });
    }

    [Test]
    public async Task A_chunk_of_only_one_stream_is_skipped_by_a_read_of_the_other()
    {
        await using var output = new OutputStore(Db);
        await output.AppendAsync(7, Line(1, "out"));
        await output.FlushAsync();
        await output.AppendAsync(7, Line(2, "err", OutputStreamKind.Stderr));
        await output.FlushAsync();

        Assert.Multiple(() =>
        {
            Assert.That(Chunks(7), Has.Length.EqualTo(2), "each flush writes what it has");
            Assert.That(output.Read(7, 0, 10, OutputStreamKind.Stderr).Select(l => l.Content), Is.EqualTo(new[] { "err" }));
            Assert.That(output.Read(7, 0, 10, OutputStreamKind.Stdout).Select(l => l.Content), Is.EqualTo(new[] { "out" }));
        });
    }

    private sealed record ChunkRow(long FirstLine, long LineCount);
}
