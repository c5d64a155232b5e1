using System.Text;
using ScriptExec.Core;

namespace ScriptExec.Store;

/// <summary>
/// The encoding of an <c>output_chunks</c> row's <c>lines</c> BLOB: consecutive lines of one execution, each as its
/// stream (one byte), its timestamp as a zig-zag varint delta from the line before (the first from 0), the length of
/// its UTF-8 content as a varint, then the content. Binary rather than JSON: no escaping on the way in, and a
/// reader skips the lines before the one asked for by their length alone, without decoding them.
/// </summary>
internal static class OutputChunk
{
    /// <summary>Lines per chunk at most: a page (at most 1000 lines) spans a couple of chunks.</summary>
    public const int MaxLines = 1024;

    /// <summary>
    /// Encoded bytes after which a chunk takes no more lines: small enough that a read decodes little it does not
    /// return and the BLOB stays off the large-object heap; large enough that a flood is a few rows per batch.
    /// </summary>
    public const int MaxBytes = 48 * 1024;

    /// <summary>Bit of <c>output_chunks.streams</c> for a stream: a read of one stream skips chunks without it.</summary>
    public static int StreamBit(OutputStreamKind stream) => 1 << (int)stream;

    /// <summary>Reads a varint written by <see cref="OutputChunkBuilder"/>.</summary>
    public static ulong ReadVarint(ReadOnlySpan<byte> data, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new InvalidDataException("an output chunk holds a varint longer than 64 bits");
    }
}

/// <summary>Encodes consecutive lines of one execution into one chunk; reused, its buffer rented (<see cref="ChunkBuffers"/>).</summary>
internal sealed class OutputChunkBuilder : IDisposable
{
    // A line's fixed cost at most: stream byte, timestamp delta and length varints.
    private const int MaxLineOverhead = 1 + 10 + 5;

    // The first buffer of a chunk with no size hint: a few short lines.
    private const int SmallestBuffer = 256;

    private byte[] _buffer = [];
    private long _firstTimestamp;
    private long _lastTimestamp;

    public long ExecutionId { get; private set; }

    public long FirstLine { get; private set; }

    public int LineCount { get; private set; }

    /// <summary><see cref="OutputChunk.StreamBit"/>s of the lines held.</summary>
    public int Streams { get; private set; }

    public int Length { get; private set; }

    /// <summary>The bytes its buffer holds (what it costs in a queue).</summary>
    public int Capacity => _buffer.Length;

    /// <summary>Bytes the lines to come are expected to need: the first buffer is rented that large at once.</summary>
    public int SizeHint { get; set; }

    public bool IsEmpty => LineCount == 0;

    /// <summary>The encoded lines so far.</summary>
    public ReadOnlySpan<byte> Encoded => _buffer.AsSpan(0, Length);

    /// <summary>True when <paramref name="lineId"/> of <paramref name="executionId"/> can go into this chunk.</summary>
    public bool Accepts(long executionId, long lineId) =>
        IsEmpty || (executionId == ExecutionId && lineId == FirstLine + LineCount && LineCount < OutputChunk.MaxLines && Length < OutputChunk.MaxBytes);

    /// <summary>
    /// Adds a line already in UTF-8 (the capture's bytes, as read): no decoding and no re-encoding on the way to
    /// the store. Only after <see cref="Accepts"/> said yes.
    /// </summary>
    public void Append(long executionId, long lineId, OutputStreamKind stream, long timestampMs, ReadOnlySpan<byte> content)
    {
        Ensure(MaxLineOverhead + content.Length);
        var position = StartLine(executionId, lineId, stream, timestampMs);
        var span = _buffer.AsSpan();
        position = WriteVarint(span, position, (uint)content.Length);
        content.CopyTo(span[position..]);
        Length = position + content.Length;
        LineCount++;
    }

    /// <summary>
    /// Moves the lines of <paramref name="next"/> (the same execution's following lines) to the end of this chunk
    /// when both fit in one; true when it did. Only the first line's timestamp delta is re-encoded (it was taken
    /// from 0); the rest is copied as it is.
    /// </summary>
    public bool TryAbsorb(OutputChunkBuilder next)
    {
        if (next.IsEmpty)
        {
            return true;
        }

        if (!IsEmpty && (next.ExecutionId != ExecutionId || next.FirstLine != FirstLine + LineCount
            || LineCount + next.LineCount > OutputChunk.MaxLines || Length + next.Length > OutputChunk.MaxBytes))
        {
            return false;
        }

        var source = next.Encoded;
        var rest = 1;
        OutputChunk.ReadVarint(source, ref rest);
        Ensure(1 + 10 + (source.Length - rest));
        var position = StartLine(next.ExecutionId, next.FirstLine, (OutputStreamKind)source[0], next._firstTimestamp);
        source[rest..].CopyTo(_buffer.AsSpan(position));
        Length = position + (source.Length - rest);
        LineCount += next.LineCount;
        Streams |= next.Streams;
        _lastTimestamp = next._lastTimestamp;
        return true;
    }

    /// <summary>Adds a line; only after <see cref="Accepts"/> said yes.</summary>
    public void Append(long executionId, OutputLine line)
    {
        Ensure(MaxLineOverhead + Encoding.UTF8.GetMaxByteCount(line.Content.Length));
        var position = StartLine(executionId, line.Id, line.Stream, line.TimestampMs);
        var span = _buffer.AsSpan();

        // Short content (most lines) cannot need more than a one-byte length: no counting pass for it.
        var bytes = line.Content.Length * 3 < 0x80 ? -1 : Encoding.UTF8.GetByteCount(line.Content);
        if (bytes < 0)
        {
            bytes = Encoding.UTF8.GetBytes(line.Content, span[(position + 1)..]);
            span[position++] = (byte)bytes;
        }
        else
        {
            position = WriteVarint(span, position, (uint)bytes);
            Encoding.UTF8.GetBytes(line.Content, span[position..]);
        }

        Length = position + bytes;
        LineCount++;
    }

    /// <summary>Empties the chunk for the next one; the buffer is kept (it is returned on dispose).</summary>
    public void Clear()
    {
        LineCount = 0;
        Length = 0;
        Streams = 0;
    }

    public void Dispose()
    {
        Clear();
        if (_buffer.Length > 0)
        {
            ChunkBuffers.Return(_buffer);
            _buffer = [];
        }
    }

    /// <summary>
    /// Room for <paramref name="more"/> bytes: a buffer sized to the hint at first (a flood's read fills a full one),
    /// then doubled, never beyond a full chunk's size unless one line needs it.
    /// </summary>
    private void Ensure(int more)
    {
        var needed = Length + more;
        if (needed <= _buffer.Length)
        {
            return;
        }

        var grown = Math.Max(Math.Max(_buffer.Length * 2, SizeHint), SmallestBuffer);
        var larger = ChunkBuffers.Rent(Math.Max(needed, Math.Min(grown, ChunkBuffers.FullSize)));
        _buffer.AsSpan(0, Length).CopyTo(larger);
        if (_buffer.Length > 0)
        {
            ChunkBuffers.Return(_buffer);
        }

        _buffer = larger;
    }

    /// <summary>Writes a line's stream and timestamp delta (room ensured by the caller); returns where its length goes.</summary>
    private int StartLine(long executionId, long lineId, OutputStreamKind stream, long timestampMs)
    {
        if (IsEmpty)
        {
            ExecutionId = executionId;
            FirstLine = lineId;
            _firstTimestamp = timestampMs;
            _lastTimestamp = 0;
        }

        var span = _buffer.AsSpan();
        var position = Length;
        span[position++] = (byte)stream;
        var delta = timestampMs - _lastTimestamp;
        _lastTimestamp = timestampMs;
        Streams |= OutputChunk.StreamBit(stream);
        return WriteVarint(span, position, (ulong)((delta << 1) ^ (delta >> 63)));
    }

    private static int WriteVarint(Span<byte> span, int position, ulong value)
    {
        while (value >= 0x80)
        {
            span[position++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[position++] = (byte)value;
        return position;
    }
}

/// <summary>Walks the lines of one encoded chunk in order.</summary>
internal ref struct OutputChunkReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;
    private long _timestamp;

    public OutputChunkReader(ReadOnlySpan<byte> data, long firstLine)
    {
        _data = data;
        NextLineId = firstLine;
    }

    /// <summary>The id of the line <see cref="Next"/> reads.</summary>
    public long NextLineId { get; private set; }

    /// <summary>Reads the next line; <paramref name="content"/> is its UTF-8 bytes, decoded only if the caller wants them.</summary>
    public bool Next(out OutputStreamKind stream, out long timestampMs, out ReadOnlySpan<byte> content)
    {
        if (_position >= _data.Length)
        {
            stream = default;
            timestampMs = 0;
            content = default;
            return false;
        }

        stream = (OutputStreamKind)_data[_position++];
        var zigzag = OutputChunk.ReadVarint(_data, ref _position);
        _timestamp += (long)(zigzag >> 1) ^ -(long)(zigzag & 1);
        timestampMs = _timestamp;
        var length = (int)OutputChunk.ReadVarint(_data, ref _position);
        content = _data.Slice(_position, length);
        _position += length;
        NextLineId++;
        return true;
    }
}
