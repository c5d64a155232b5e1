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

    private readonly Stream inner;
    private readonly TimeProvider timeProvider;
    private readonly byte[] header = new byte[MaxHeaderBytes];

    private int headerCount;
    private ulong payloadLeft;
    private bool inFragmentedMessage;
    private TimeSpan timeLeft;

    /// <param name="inner">The upgraded connection; owned, disposed with this stream.</param>
    /// <param name="messageTimeout">How long a started message may keep reads waiting.</param>
    /// <param name="timeProvider">The clock of <paramref name="messageTimeout"/>; the system clock by default.</param>
    public WebSocketDeadlineStream(Stream inner, TimeSpan messageTimeout, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(messageTimeout, TimeSpan.Zero);
        this.inner = inner;
        this.timeProvider = timeProvider ?? TimeProvider.System;
        MessageTimeout = messageTimeout;
        timeLeft = messageTimeout;
    }

    /// <summary>Gets how long a started message may keep reads waiting.</summary>
    public TimeSpan MessageTimeout { get; }

    /// <summary>Gets whether the stream was ended because a started message did not complete in time.</summary>
    public bool TimedOut { get; private set; }

    /// <summary>Gets whether some bytes of a message (or of a control frame) have arrived and the rest has not.</summary>
    public bool MessageUnderWay => headerCount > 0 || payloadLeft > 0 || inFragmentedMessage;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

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
            count = await inner.ReadAsync(buffer, cancellationToken);
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
            timeLeft = MessageTimeout;
        }

        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("the WebSocket reads asynchronously");

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Reads, waiting at most the time the message under way has left; null once that is spent.</summary>
    private async ValueTask<int?> ReadInTimeAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (timeLeft <= TimeSpan.Zero)
        {
            return null;
        }

        using var deadline = new CancellationTokenSource(timeLeft, timeProvider);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        long waitStarted = timeProvider.GetTimestamp();
        try
        {
            return await inner.ReadAsync(buffer, either.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        finally
        {
            timeLeft -= timeProvider.GetElapsedTime(waitStarted);
        }
    }

    /// <summary>Follows the client's frames (RFC 6455 §5.2) through the bytes just read.</summary>
    private void Observe(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (payloadLeft > 0)
            {
                int skipped = (int)Math.Min(payloadLeft, (ulong)bytes.Length);
                payloadLeft -= (ulong)skipped;
                bytes = bytes[skipped..];
                continue;
            }

            header[headerCount++] = bytes[0];
            bytes = bytes[1..];
            if (HeaderLength() is { } length && headerCount == length)
            {
                EndHeader();
            }
        }
    }

    /// <summary>The length of the header being read, once its first two bytes say it.</summary>
    private int? HeaderLength()
    {
        if (headerCount < 2)
        {
            return null;
        }

        int lengthBytes = (header[1] & 0x7F) switch
        {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        int maskBytes = (header[1] & 0x80) != 0 ? 4 : 0;
        return 2 + lengthBytes + maskBytes;
    }

    private void EndHeader()
    {
        ulong length = (ulong)(header[1] & 0x7F);
        if (length == 126)
        {
            length = (ulong)((header[2] << 8) | header[3]);
        }
        else if (length == 127)
        {
            length = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(2, 8));
        }

        bool final = (header[0] & 0x80) != 0;
        int opcode = header[0] & 0x0F;
        if (opcode < 8)
        {
            // Data and continuation frames; control frames (8 and above) may come between fragments and change nothing.
            inFragmentedMessage = !final;
        }

        headerCount = 0;
        payloadLeft = length;
    }
}
