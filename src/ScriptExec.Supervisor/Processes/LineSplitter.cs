using System.Buffers;

namespace ScriptExec.Supervisor.Processes;

/// <summary>Receives the lines a <see cref="LineSplitter"/> cuts; the span is only valid during the call.</summary>
internal interface ILineHandler
{
    void OnLine(ReadOnlySpan<byte> line);
}

/// <summary>
/// Cuts a byte stream into lines: on '\n' (one '\r' before it dropped), and a line longer than the cap into pieces of
/// at most the cap, each ending on a UTF-8 character boundary. Memory stays at one line cap however long a line is.
/// </summary>
internal sealed class LineSplitter : IDisposable
{
    /// <summary>The smallest cap that holds every UTF-8 character.</summary>
    public const int MinLineCapBytes = 4;

    private readonly int _cap;
    private readonly ILineHandler _handler;

    // One byte more than a line may hold: room for a '\r' that may turn out to precede '\n', and proof that a line
    // is over the cap before it is cut.
    private readonly int _capacity;
    private byte[]? _pending;
    private int _length;

    public LineSplitter(int lineCapBytes, ILineHandler handler)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lineCapBytes, MinLineCapBytes);
        _cap = lineCapBytes;
        _capacity = lineCapBytes + 1;
        _handler = handler;
        _pending = ArrayPool<byte>.Shared.Rent(_capacity);
    }

    public void Push(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var newline = data.IndexOf((byte)'\n');
            if (newline < 0)
            {
                Append(data);
                return;
            }

            if (_length == 0)
            {
                // The common case: the whole line is in this chunk, so it needs no copy.
                EmitLine(data[..newline], stripCarriageReturn: true);
            }
            else
            {
                Append(data[..newline]);
                EmitLine(Pending[.._length], stripCarriageReturn: true);
                _length = 0;
            }

            data = data[(newline + 1)..];
        }
    }

    /// <summary>Emits the last line when the stream ended without a newline.</summary>
    public void Flush()
    {
        if (_length > 0)
        {
            EmitLine(Pending[.._length], stripCarriageReturn: false);
            _length = 0;
        }
    }

    public void Dispose()
    {
        if (_pending is { } pending)
        {
            _pending = null;
            ArrayPool<byte>.Shared.Return(pending);
        }
    }

    private Span<byte> Pending => (_pending ?? throw new ObjectDisposedException(nameof(LineSplitter))).AsSpan(0, _capacity);

    private void Append(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            if (_length == _capacity)
            {
                // More of a line that is already over the cap: hand on a full piece and keep the cut-off tail.
                var pending = Pending;
                var cut = CutPoint(pending, _cap);
                _handler.OnLine(pending[..cut]);
                pending[cut.._length].CopyTo(pending);
                _length -= cut;
            }

            var take = Math.Min(_capacity - _length, data.Length);
            data[..take].CopyTo(Pending[_length..]);
            _length += take;
            data = data[take..];
        }
    }

    private void EmitLine(ReadOnlySpan<byte> line, bool stripCarriageReturn)
    {
        if (stripCarriageReturn && !line.IsEmpty && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        while (line.Length > _cap)
        {
            var cut = CutPoint(line, _cap);
            _handler.OnLine(line[..cut]);
            line = line[cut..];
        }

        _handler.OnLine(line);
    }

    /// <summary>Where to cut a line longer than <paramref name="cap"/>: at the cap, or before the character it would split.</summary>
    internal static int CutPoint(ReadOnlySpan<byte> line, int cap)
    {
        // Continuation bytes look like 10xxxxxx; a valid character has at most three of them.
        var cut = cap;
        for (var i = 0; i < 3 && IsContinuation(line[cut]); i++)
        {
            cut--;
        }

        // Still inside a run of continuation bytes: the input is not UTF-8 here, so no character can be broken.
        return IsContinuation(line[cut]) ? cap : cut;
    }

    private static bool IsContinuation(byte value) => (value & 0xC0) == 0x80;
}
