using System.Text;
using Dapper;
using ScriptExec.Core;

namespace ScriptExec.Store.Tests;

/// <summary>
/// Output handed to the store a read at a time (<see cref="OutputBatch"/>): batches cut into chunks where they must
/// be, small ones joined into the chunk under way, big ones stored as they are, and every line read back exactly.
/// </summary>
public sealed class OutputBatchTests : StoreFixture
{
    private const long Execution = 7;

    private static OutputLine Line(long id, string content, OutputStreamKind stream = OutputStreamKind.Stdout, long? timestampMs = null) =>
        new(id, content, stream, timestampMs ?? 1_700_000_000_000 + id);

    private static OutputBatch BatchOf(IEnumerable<OutputLine> lines)
    {
        var batch = new OutputBatch(Execution);
        foreach (var line in lines)
        {
            batch.Add(line.Id, line.Stream, line.TimestampMs, Encoding.UTF8.GetBytes(line.Content));
        }

        return batch;
    }

    private (long First, long Count)[] Chunks()
    {
        using var connection = Db.OpenRead();
        return [.. connection.Query<ChunkRow>(
            "SELECT first_line, line_count FROM output_chunks WHERE execution_id = @Execution ORDER BY first_line;", new { Execution })
            .Select(c => (c.FirstLine, c.LineCount))];
    }

    private static List<OutputLine> ReadChunk(OutputChunkBuilder chunk)
    {
        var read = new List<OutputLine>();
        var reader = new OutputChunkReader(chunk.Encoded, chunk.FirstLine);
        while (true)
        {
            var id = reader.NextLineId;
            if (!reader.Next(out var stream, out var timestamp, out var content))
            {
                return read;
            }

            read.Add(new OutputLine(id, Encoding.UTF8.GetString(content), stream, timestamp));
        }
    }

    [Test]
    public void Absorbing_the_next_chunk_keeps_every_timestamp_stream_and_content()
    {
        using var first = new OutputChunkBuilder();
        using var next = new OutputChunkBuilder();
        OutputLine[] lines =
        [
            Line(10, "a", timestampMs: 1_000),
            Line(11, "grüße", OutputStreamKind.Stderr, timestampMs: 1_005),
            Line(12, "", timestampMs: 900),
            Line(13, new string('x', 300), OutputStreamKind.Stderr, timestampMs: 2_000),
        ];
        first.Append(Execution, lines[0]);
        first.Append(Execution, lines[1]);
        next.Append(Execution, lines[2]);
        next.Append(Execution, lines[3]);

        Assert.That(first.TryAbsorb(next), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(ReadChunk(first), Is.EqualTo(lines), "the first absorbed line's delta is taken from the line before it, not from 0");
            Assert.That(first.LineCount, Is.EqualTo(4));
            Assert.That(first.Streams, Is.EqualTo(OutputChunk.StreamBit(OutputStreamKind.Stdout) | OutputChunk.StreamBit(OutputStreamKind.Stderr)));
        });
    }

    [Test]
    public void A_chunk_absorbs_only_the_same_executions_next_lines_within_its_bounds()
    {
        using var chunk = new OutputChunkBuilder();
        chunk.Append(Execution, Line(1, "one"));
        using var gap = new OutputChunkBuilder();
        gap.Append(Execution, Line(3, "three"));
        using var other = new OutputChunkBuilder();
        other.Append(Execution + 1, Line(2, "two"));
        using var big = new OutputChunkBuilder();
        big.Append(Execution, Line(2, new string('y', OutputChunk.MaxBytes)));
        using var many = new OutputChunkBuilder();
        for (var id = 2; id < 2 + OutputChunk.MaxLines; id++)
        {
            many.Append(Execution, Line(id, "l"));
        }

        Assert.Multiple(() =>
        {
            Assert.That(chunk.TryAbsorb(gap), Is.False, "a gap in line ids");
            Assert.That(chunk.TryAbsorb(other), Is.False, "another execution");
            Assert.That(chunk.TryAbsorb(big), Is.False, "over the byte bound");
            Assert.That(chunk.TryAbsorb(many), Is.False, "over the line bound");
            Assert.That(ReadChunk(chunk).Select(l => l.Content), Is.EqualTo(new[] { "one" }), "a refusal changes nothing");
        });
    }

    [Test]
    public void A_batch_larger_than_a_chunk_is_cut_into_bounded_chunks()
    {
        using var batch = BatchOf(Enumerable.Range(1, 3_000).Select(i => Line(i, "line " + i)));

        Assert.Multiple(() =>
        {
            Assert.That(batch.LineCount, Is.EqualTo(3_000));
            Assert.That(batch.ContentBytes, Is.EqualTo(Enumerable.Range(1, 3_000).Sum(i => ("line " + i).Length)));
            Assert.That(batch.Chunks.Select(c => c.LineCount), Is.EqualTo(new[] { 1024, 1024, 952 }));
            Assert.That(batch.Chunks.SelectMany(ReadChunk).Select(l => l.Id), Is.EqualTo(Enumerable.Range(1, 3_000).Select(i => (long)i)));
        });
    }

    [Test]
    public async Task Small_batches_join_the_chunk_under_way_and_big_ones_are_stored_as_they_are()
    {
        await using var output = new OutputStore(Db);
        var hold = await HoldWriterAsync();
        var lines = new List<OutputLine>();
        long id = 0;
        OutputLine Next(int bytes) => Line(++id, new string((char)('a' + (id % 26)), bytes), id % 5 == 0 ? OutputStreamKind.Stderr : OutputStreamKind.Stdout);

        // 200 one-line batches (a chatty script), then reads of a flood (about 64 KB of 100-byte lines each), then
        // chatty again; the last flush writes what is under way.
        foreach (var size in Enumerable.Repeat(1, 200).Concat(Enumerable.Repeat(640, 5)).Concat(Enumerable.Repeat(1, 50)))
        {
            var batchLines = Enumerable.Range(0, size).Select(_ => Next(99)).ToList();
            lines.AddRange(batchLines);
            await output.AppendAsync(BatchOf(batchLines));
        }

        await hold.DisposeAsync();
        await output.FlushAsync();
        var chunks = Chunks();

        Assert.Multiple(() =>
        {
            Assert.That(chunks.Sum(c => c.Count), Is.EqualTo(lines.Count));
            Assert.That(chunks.Zip(chunks.Skip(1)).All(pair => pair.First.First + pair.First.Count == pair.Second.First), Is.True, "consecutive, no overlap");
            Assert.That(chunks.Max(c => c.Count), Is.LessThanOrEqualTo(OutputChunk.MaxLines));
            Assert.That(chunks, Has.Length.LessThan(20), "one-line batches are not a row each");
            Assert.That(output.Read(Execution, 0, lines.Count + 10), Is.EqualTo(lines));
            foreach (var after in new long[] { 0, 199, 200, 201, 1_000, 3_399, 3_400, 3_449 })
            {
                Assert.That(output.Read(Execution, after, 100), Is.EqualTo(lines.Skip((int)after).Take(100)), $"after {after}");
            }
        });
    }

    [Test]
    public async Task A_flood_past_the_memory_trim_is_stored_whole_and_the_writer_goes_on()
    {
        // 300,000 lines: past the writer's memory trim (every 250,000 lines, once its queue is empty), which must
        // neither stop the writer nor lose a line; appends after it are stored too.
        await using var output = new OutputStore(Db);
        long id = 0;
        var content = new byte[99];
        content.AsSpan().Fill((byte)'0');
        for (var read = 0; read < 470; read++)
        {
            var batch = new OutputBatch(Execution);
            for (var i = 0; i < 640; i++)
            {
                batch.Add(++id, OutputStreamKind.Stdout, 1_700_000_000_000, content);
            }

            await output.AppendAsync(batch);
        }

        await output.FlushAsync();
        await output.AppendAsync(Execution, Line(++id, "after the trim"));
        await output.FlushAsync();

        Assert.Multiple(() =>
        {
            Assert.That(Chunks().Sum(c => c.Count), Is.EqualTo(id));
            Assert.That(output.Read(Execution, id - 2, 10).Select(l => l.Content), Is.EqualTo(new[] { new string('0', 99), "after the trim" }));
        });
    }

    [Test]
    public async Task Appends_wait_while_the_writer_is_that_far_behind_and_go_on_when_it_catches_up()
    {
        await using var output = new OutputStore(Db);
        var hold = await HoldWriterAsync();

        long id = 0;
        ValueTask waiting = default;
        var appended = 0;
        var bound = (int)(OutputStore.MaxQueuedBytes / (640 * 99)) + 10;
        for (; appended < bound; appended++)
        {
            var append = output.AppendAsync(BatchOf(Enumerable.Range(0, 640).Select(_ => Line(++id, new string('z', 99)))));
            if (!append.IsCompleted)
            {
                waiting = append;
                break;
            }
        }

        Assert.That(waiting.IsCompleted, Is.False, $"an append waits once {OutputStore.MaxQueuedBytes} bytes are queued ({appended} batches went in)");
        await hold.DisposeAsync();
        await waiting;
        await output.FlushAsync();

        Assert.That(output.Read(Execution, id - 1, 10).Select(l => l.Id), Is.EqualTo(new[] { id }), "the waiting batch was stored too");
        Assert.That(Chunks().Sum(c => c.Count), Is.EqualTo(id));
    }

    private sealed record ChunkRow(long FirstLine, long LineCount);
}
