using ScriptExec.Core;

namespace ScriptExec.Store;

/// <summary>
/// Consecutive captured lines of one execution on their way to <see cref="OutputStore"/>, encoded into chunks
/// (<see cref="OutputChunk"/>) as they are captured: the capture hands the store one of these per read instead of
/// one object per line, and the writer stores its chunks as they are or appends them to the chunk under way.
/// Not thread-safe; owned by whoever holds it, then by the store once appended.
/// </summary>
public sealed class OutputBatch : IDisposable
{
    /// <summary>What a batch costs in the store's queue beyond its encoded bytes (objects, a one-line chunk's slack).</summary>
    internal const int QueueOverheadBytes = 256;

    private readonly List<OutputChunkBuilder> _chunks = [];

    // Content bytes the batch is expected to reach, for sizing its chunks' buffers.
    private readonly int _expectedBytes;

    /// <param name="executionId">The execution whose lines these are.</param>
    /// <param name="expectedBytes">
    /// The content bytes the lines are expected to come to (a capture passes its previous read's): each chunk's buffer
    /// is rented about that large at once instead of growing to it.
    /// </param>
    public OutputBatch(long executionId, int expectedBytes = 0)
    {
        ExecutionId = executionId;
        _expectedBytes = expectedBytes;
    }

    public long ExecutionId { get; }

    public int LineCount { get; private set; }

    /// <summary>UTF-8 bytes of the lines' content (what retention and the byte cap count).</summary>
    public long ContentBytes { get; private set; }

    public bool IsEmpty => LineCount == 0;

    /// <summary>What holding the batch in the store's queue costs (its buffers), for its byte bound.</summary>
    internal long QueuedBytes
    {
        get
        {
            long bytes = QueueOverheadBytes;
            foreach (var chunk in _chunks)
            {
                bytes += chunk.Capacity;
            }

            return bytes;
        }
    }

    internal IReadOnlyList<OutputChunkBuilder> Chunks => _chunks;

    /// <summary>Adds the line after the last one added; <paramref name="content"/> is valid UTF-8 (as it is stored).</summary>
    public void Add(long lineId, OutputStreamKind stream, long timestampMs, ReadOnlySpan<byte> content)
    {
        var chunk = Current(lineId);
        chunk.Append(ExecutionId, lineId, stream, timestampMs, content);
        LineCount++;
        ContentBytes += content.Length;
    }

    /// <summary>Adds a line given as text.</summary>
    public void Add(OutputLine line)
    {
        ArgumentNullException.ThrowIfNull(line);
        Current(line.Id).Append(ExecutionId, line);
        LineCount++;
        ContentBytes += System.Text.Encoding.UTF8.GetByteCount(line.Content);
    }

    /// <summary>Returns the chunks' buffers to the shared pool.</summary>
    public void Dispose()
    {
        foreach (var chunk in _chunks)
        {
            chunk.Dispose();
        }

        _chunks.Clear();
        LineCount = 0;
        ContentBytes = 0;
    }

    private OutputChunkBuilder Current(long lineId)
    {
        if (_chunks.Count > 0 && _chunks[^1] is var last && last.Accepts(ExecutionId, lineId))
        {
            return last;
        }

        // What the lines still to come are expected to need: their content and about 16% for each line's stream,
        // timestamp and length (three bytes on a line of twenty), less what the chunks before took.
        var encoded = 0L;
        foreach (var full in _chunks)
        {
            encoded += full.Length;
        }

        var chunk = new OutputChunkBuilder { SizeHint = (int)Math.Clamp(_expectedBytes * 116L / 100 - encoded, 0, ChunkBuffers.FullSize) };
        _chunks.Add(chunk);
        return chunk;
    }
}
