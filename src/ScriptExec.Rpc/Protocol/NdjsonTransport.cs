using System.Buffers;
using System.IO.Pipelines;

namespace ScriptExec.Rpc.Protocol;

/// <summary>Newline-delimited JSON framing: one UTF-8 message per <c>\n</c>-terminated line.</summary>
/// <remarks>
/// A trailing <c>\r</c> is stripped, blank lines are skipped, and a last line without <c>\n</c> at the end of
/// the stream still counts. At most <see cref="MaxMessageBytes"/> plus one read segment is ever buffered, and
/// an unfinished line may take at most <see cref="MessageTimeout"/> of waiting to complete. The transport owns
/// both pipes and completes them when closed.
/// </remarks>
public sealed class NdjsonTransport : IMessageTransport
{
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly TimeProvider _timeProvider;

    // The reader's buffer may only be released after the caller is done with the message we handed out.
    private SequencePosition? _consumedOnNextRead;

    // Bytes at the start of the unconsumed buffer already known to hold no newline, so a long line arriving in
    // small chunks is scanned once rather than once per chunk.
    private long _scannedWithoutNewline;

    // Waiting time left for the unfinished line; refilled whenever a line ends.
    private TimeSpan _lineTimeLeft;
    private bool _inputEnded;
    private bool _outputClosed;

    /// <param name="messageTimeout">How long an unfinished line may keep us waiting; null for no limit.</param>
    /// <param name="timeProvider">The clock of <paramref name="messageTimeout"/>; the system clock by default.</param>
    public NdjsonTransport(
        PipeReader input, PipeWriter output, int maxMessageBytes, TimeSpan? messageTimeout = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxMessageBytes);
        if (messageTimeout is { } timeout)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero, nameof(messageTimeout));
            _lineTimeLeft = timeout;
        }

        _input = input;
        _output = output;
        _timeProvider = timeProvider ?? TimeProvider.System;
        MaxMessageBytes = maxMessageBytes;
        MessageTimeout = messageTimeout;
    }

    public int MaxMessageBytes { get; }

    public TimeSpan? MessageTimeout { get; }

    public async ValueTask<TransportRead> ReadAsync(CancellationToken cancellationToken)
    {
        if (_consumedOnNextRead is { } consumed)
        {
            _consumedOnNextRead = null;
            _input.AdvanceTo(consumed);
        }

        if (_inputEnded)
        {
            return TransportRead.EndOfStream;
        }

        while (true)
        {
            ReadResult result;
            if (_scannedWithoutNewline == 0 || MessageTimeout is null)
            {
                result = await _input.ReadAsync(cancellationToken);
            }
            else if (await ReadMoreOfLineAsync(cancellationToken) is { } more)
            {
                result = more;
            }
            else
            {
                _inputEnded = true;
                return TransportRead.TimedOut;
            }

            ReadOnlySequence<byte> buffer = result.Buffer;
            if (result.IsCanceled)
            {
                _input.AdvanceTo(buffer.Start);
                _inputEnded = true;
                return TransportRead.EndOfStream;
            }

            while (buffer.Slice(_scannedWithoutNewline).PositionOf((byte)'\n') is { } newline)
            {
                ReadOnlySequence<byte> line = buffer.Slice(0, newline);
                buffer = buffer.Slice(buffer.GetPosition(1, newline));
                _scannedWithoutNewline = 0;
                _lineTimeLeft = MessageTimeout ?? TimeSpan.Zero;
                if (line.Length > MaxMessageBytes)
                {
                    return EndWithTooLarge(buffer);
                }

                line = TrimTrailingCarriageReturn(line);
                if (!IsBlank(line))
                {
                    _consumedOnNextRead = buffer.Start;
                    return TransportRead.FromMessage(line);
                }
            }

            // Whatever is left is one unfinished line.
            if (buffer.Length > MaxMessageBytes)
            {
                return EndWithTooLarge(buffer);
            }

            if (result.IsCompleted)
            {
                _inputEnded = true;
                ReadOnlySequence<byte> last = TrimTrailingCarriageReturn(buffer);
                if (!IsBlank(last))
                {
                    _consumedOnNextRead = buffer.End;
                    return TransportRead.FromMessage(last);
                }

                _input.AdvanceTo(buffer.End);
                return TransportRead.EndOfStream;
            }

            _scannedWithoutNewline = buffer.Length;
            _input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            if (_outputClosed)
            {
                return;
            }

            _output.Write(message.Span);
            _output.Write("\n"u8);
            FlushResult flushed = await _output.FlushAsync(cancellationToken);
            if (flushed.IsCompleted || flushed.IsCanceled)
            {
                // The peer stopped reading, or we are being disposed while stuck on a peer that never reads.
                _outputClosed = true;
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async ValueTask CloseAsync(bool tooLarge, CancellationToken cancellationToken)
    {
        // NDJSON has no way to say why; the -32600 reply written before this carries the reason.
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            if (!_outputClosed)
            {
                _outputClosed = true;
                await _output.CompleteAsync();
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        // A writer blocked on a peer that never reads would otherwise hold the lock forever.
        _output.CancelPendingFlush();
        await CloseAsync(tooLarge: false, CancellationToken.None);
        _inputEnded = true;
        await _input.CompleteAsync();
    }

    /// <summary>Waits for more of an unfinished line, at most for the time it has left; null once that is spent.</summary>
    private async ValueTask<ReadResult?> ReadMoreOfLineAsync(CancellationToken cancellationToken)
    {
        if (_lineTimeLeft <= TimeSpan.Zero)
        {
            return null;
        }

        using var deadline = new CancellationTokenSource(_lineTimeLeft, _timeProvider);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        long waitStarted = _timeProvider.GetTimestamp();
        try
        {
            return await _input.ReadAsync(either.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        finally
        {
            // Only the time we spent waiting for the peer counts: pauses for our own back-pressure do not.
            _lineTimeLeft -= _timeProvider.GetElapsedTime(waitStarted);
        }
    }

    private static ReadOnlySequence<byte> TrimTrailingCarriageReturn(ReadOnlySequence<byte> line)
    {
        if (line.IsEmpty)
        {
            return line;
        }

        Span<byte> last = stackalloc byte[1];
        line.Slice(line.Length - 1).CopyTo(last);
        return last[0] == (byte)'\r' ? line.Slice(0, line.Length - 1) : line;
    }

    private static bool IsBlank(ReadOnlySequence<byte> line)
    {
        foreach (ReadOnlyMemory<byte> segment in line)
        {
            foreach (byte b in segment.Span)
            {
                if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r'))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private TransportRead EndWithTooLarge(ReadOnlySequence<byte> buffer)
    {
        _inputEnded = true;
        _input.AdvanceTo(buffer.End);
        return TransportRead.TooLarge;
    }
}
