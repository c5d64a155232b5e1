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
    private readonly PipeReader input;
    private readonly PipeWriter output;
    private readonly SemaphoreSlim writeLock = new(1, 1);
    private readonly TimeProvider timeProvider;

    // The reader's buffer may only be released after the caller is done with the message we handed out.
    private SequencePosition? consumedOnNextRead;

    // Bytes at the start of the unconsumed buffer already known to hold no newline, so a long line arriving in
    // small chunks is scanned once rather than once per chunk.
    private long scannedWithoutNewline;

    // Waiting time left for the unfinished line; refilled whenever a line ends.
    private TimeSpan lineTimeLeft;
    private bool inputEnded;
    private bool outputClosed;

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
            lineTimeLeft = timeout;
        }

        this.input = input;
        this.output = output;
        this.timeProvider = timeProvider ?? TimeProvider.System;
        MaxMessageBytes = maxMessageBytes;
        MessageTimeout = messageTimeout;
    }

    public int MaxMessageBytes { get; }

    public TimeSpan? MessageTimeout { get; }

    public async ValueTask<TransportRead> ReadAsync(CancellationToken cancellationToken)
    {
        if (consumedOnNextRead is { } consumed)
        {
            consumedOnNextRead = null;
            input.AdvanceTo(consumed);
        }

        if (inputEnded)
        {
            return TransportRead.EndOfStream;
        }

        while (true)
        {
            ReadResult result;
            if (scannedWithoutNewline == 0 || MessageTimeout is null)
            {
                result = await input.ReadAsync(cancellationToken);
            }
            else if (await ReadMoreOfLineAsync(cancellationToken) is { } more)
            {
                result = more;
            }
            else
            {
                inputEnded = true;
                return TransportRead.TimedOut;
            }

            ReadOnlySequence<byte> buffer = result.Buffer;
            if (result.IsCanceled)
            {
                input.AdvanceTo(buffer.Start);
                inputEnded = true;
                return TransportRead.EndOfStream;
            }

            while (buffer.Slice(scannedWithoutNewline).PositionOf((byte)'\n') is { } newline)
            {
                ReadOnlySequence<byte> line = buffer.Slice(0, newline);
                buffer = buffer.Slice(buffer.GetPosition(1, newline));
                scannedWithoutNewline = 0;
                lineTimeLeft = MessageTimeout ?? TimeSpan.Zero;
                if (line.Length > MaxMessageBytes)
                {
                    return EndWithTooLarge(buffer);
                }

                line = TrimTrailingCarriageReturn(line);
                if (!IsBlank(line))
                {
                    consumedOnNextRead = buffer.Start;
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
                inputEnded = true;
                ReadOnlySequence<byte> last = TrimTrailingCarriageReturn(buffer);
                if (!IsBlank(last))
                {
                    consumedOnNextRead = buffer.End;
                    return TransportRead.FromMessage(last);
                }

                input.AdvanceTo(buffer.End);
                return TransportRead.EndOfStream;
            }

            scannedWithoutNewline = buffer.Length;
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        await writeLock.WaitAsync(cancellationToken);
        try
        {
            if (outputClosed)
            {
                return;
            }

            output.Write(message.Span);
            output.Write("\n"u8);
            FlushResult flushed = await output.FlushAsync(cancellationToken);
            if (flushed.IsCompleted || flushed.IsCanceled)
            {
                // The peer stopped reading, or we are being disposed while stuck on a peer that never reads.
                outputClosed = true;
            }
        }
        finally
        {
            writeLock.Release();
        }
    }

    public async ValueTask CloseAsync(bool tooLarge, CancellationToken cancellationToken)
    {
        // NDJSON has no way to say why; the -32600 reply written before this carries the reason.
        await writeLock.WaitAsync(cancellationToken);
        try
        {
            if (!outputClosed)
            {
                outputClosed = true;
                await output.CompleteAsync();
            }
        }
        finally
        {
            writeLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        // A writer blocked on a peer that never reads would otherwise hold the lock forever.
        output.CancelPendingFlush();
        await CloseAsync(tooLarge: false, CancellationToken.None);
        inputEnded = true;
        await input.CompleteAsync();
    }

    /// <summary>Waits for more of an unfinished line, at most for the time it has left; null once that is spent.</summary>
    private async ValueTask<ReadResult?> ReadMoreOfLineAsync(CancellationToken cancellationToken)
    {
        if (lineTimeLeft <= TimeSpan.Zero)
        {
            return null;
        }

        using var deadline = new CancellationTokenSource(lineTimeLeft, timeProvider);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        long waitStarted = timeProvider.GetTimestamp();
        try
        {
            return await input.ReadAsync(either.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        finally
        {
            // Only the time we spent waiting for the peer counts: pauses for our own back-pressure do not.
            lineTimeLeft -= timeProvider.GetElapsedTime(waitStarted);
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
        inputEnded = true;
        input.AdvanceTo(buffer.End);
        return TransportRead.TooLarge;
    }
}
