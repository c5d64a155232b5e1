using System.Text;
using ScriptExec.Core;

namespace ScriptExec.Store.Tests;

/// <summary>
/// A flood through the store as capture hands it over (one batch per 64 KiB read): a batch's buffers are sized to
/// what it holds, so the queue's byte bound is the memory it takes.
/// </summary>
public sealed class OutputFloodTests : StoreFixture
{
    private const long Execution = 7;
    private const int LineBytes = 99;
    private const int ReadBytes = 64 * 1024;

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
