using System.Runtime.InteropServices;

namespace ScriptExec.Cli.Output;

/// <summary>
/// stdout or stderr as a bare write(2) stream. The streams of <see cref="Console"/> initialise the terminal on
/// their first write (terminfo read, a keypad-mode escape sent to the tty, signal handlers, <c>Console.Out</c>)
/// and run every WriteAsync on a thread-pool thread: startup work a one-shot command pays for and never uses.
/// Writes block, as a terminal or pipe write does anyway; the write(2) of the shared descriptor keeps the file
/// offset shared with the shell (a FileStream would write at its own offset and be overwritten by the next
/// command redirected to the same file).
/// </summary>
internal sealed class StandardStream : Stream
{
    private readonly int _descriptor;

    private StandardStream(int descriptor)
    {
        _descriptor = descriptor;
    }

    public static StandardStream Output { get; } = new(1);

    public static StandardStream Error { get; } = new(2);

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override unsafe void Write(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            var written = 0;
            while (written < buffer.Length)
            {
                var result = NativeMethods.Write(_descriptor, start + written, buffer.Length - written);
                if (result >= 0)
                {
                    written += (int)result;
                    continue;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != NativeMethods.EINTR)
                {
                    // EPIPE (the reader went away), ENOSPC, EIO: Program reports an IOException as one line, exit 4.
                    throw new IOException(Marshal.GetPInvokeErrorMessage(errno), errno);
                }
            }
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
        // Nothing is buffered here; the StreamWriter above buffers.
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
