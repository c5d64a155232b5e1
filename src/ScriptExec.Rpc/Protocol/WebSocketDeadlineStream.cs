namespace ScriptExec.Rpc.Protocol;

/// <summary>
/// The upgraded connection under a server WebSocket, watching the client's frames as their bytes arrive so that a
/// message started and left unfinished is timed from its first byte, the way an unfinished NDJSON line is.
/// </summary>
/// <remarks>
/// The WebSocket above cannot do this: a receive returns nothing until a frame's payload has arrived whole (or fills
/// the caller's buffer), so a frame header announcing 1000 bytes followed by 10 of them kept its connection open
/// forever. Here every read that starts while a frame, or a fragmented message, is incomplete may wait at most the
/// time the message has left; when that is spent the read reports the end of the stream and <see cref="TimedOut"/>
/// is set. Time between reads (the server busy, or not reading) does not count. Control frames between messages
/// (pong replies to keep-alive pings) leave a connection idle, as it was.
/// </remarks>
public sealed class WebSocketDeadlineStream : Stream
{
    private const int MaxHeaderBytes = 14;

    private readonly Stream _inner;
    private readonly TimeProvider _timeProvider;
    private readonly byte[] _header = new byte[MaxHeaderBytes];

    private int _headerCount;
    private ulong _payloadLeft;
    private bool _inFragmentedMessage;
    private TimeSpan _timeLeft;

    /// <param name="inner">The upgraded connection; owned, disposed with this stream.</param>
    /// <param name="messageTimeout">How long a started message may keep reads waiting.</param>
    /// <param name="timeProvider">The clock of <paramref name="messageTimeout"/>; the system clock by default.</param>
    public WebSocketDeadlineStream(Stream inner, TimeSpan messageTimeout, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(messageTimeout, TimeSpan.Zero);
        _inner = inner;
        _timeProvider = timeProvider ?? TimeProvider.System;
        MessageTimeout = messageTimeout;
        _timeLeft = messageTimeout;
    }

    /// <summary>Gets how long a started message may keep reads waiting.</summary>
    public TimeSpan MessageTimeout { get; }

    /// <summary>Gets whether the stream was ended because a started message did not complete in time.</summary>
    public bool TimedOut { get; private set; }

    /// <summary>Gets whether some bytes of a message (or of a control frame) have arrived and the rest has not.</summary>
    public bool MessageUnderWay => _headerCount > 0 || _payloadLeft > 0 || _inFragmentedMessage;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => _inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (TimedOut)
        {
            return 0;
        }

        int count;
        if (!MessageUnderWay)
        {
            count = await _inner.ReadAsync(buffer, cancellationToken);
        }
        else if (await ReadInTimeAsync(buffer, cancellationToken) is { } received)
        {
            count = received;
        }
        else
        {
            TimedOut = true;
            return 0;
        }

        Observe(buffer.Span[..count]);
        if (!MessageUnderWay)
        {
            _timeLeft = MessageTimeout;
        }

        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("the WebSocket reads asynchronously");

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override void Flush() => _inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Reads, waiting at most the time the message under way has left; null once that is spent.</summary>
    private async ValueTask<int?> ReadInTimeAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_timeLeft <= TimeSpan.Zero)
        {
            return null;
        }

        using var deadline = new CancellationTokenSource(_timeLeft, _timeProvider);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        long waitStarted = _timeProvider.GetTimestamp();
        try
        {
            return await _inner.ReadAsync(buffer, either.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        finally
        {
            _timeLeft -= _timeProvider.GetElapsedTime(waitStarted);
        }
    }

    /// <summary>Follows the client's frames (RFC 6455 §5.2) through the bytes just read.</summary>
    private void Observe(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (_payloadLeft > 0)
            {
                int skipped = (int)Math.Min(_payloadLeft, (ulong)bytes.Length);
                _payloadLeft -= (ulong)skipped;
                bytes = bytes[skipped..];
                continue;
            }

            _header[_headerCount++] = bytes[0];
            bytes = bytes[1..];
            if (HeaderLength() is { } length && _headerCount == length)
            {
                EndHeader();
            }
        }
    }

    /// <summary>The length of the header being read, once its first two bytes say it.</summary>
    private int? HeaderLength()
    {
        if (_headerCount < 2)
        {
            return null;
        }

        int lengthBytes = (_header[1] & 0x7F) switch
        {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        int maskBytes = (_header[1] & 0x80) != 0 ? 4 : 0;
        return 2 + lengthBytes + maskBytes;
    }

    private void EndHeader()
    {
        ulong length = (ulong)(_header[1] & 0x7F);
        if (length == 126)
        {
            length = (ulong)((_header[2] << 8) | _header[3]);
        }
        else if (length == 127)
        {
            length = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(_header.AsSpan(2, 8));
        }

        bool final = (_header[0] & 0x80) != 0;
        int opcode = _header[0] & 0x0F;
        if (opcode < 8)
        {
            // Data and continuation frames; control frames (8 and above) may come between fragments and change nothing.
            _inFragmentedMessage = !final;
        }

        _headerCount = 0;
        _payloadLeft = length;
    }
}
