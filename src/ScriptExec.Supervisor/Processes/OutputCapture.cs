using System.Buffers;
using System.Net.Sockets;
using System.Text;
using System.Text.Unicode;
using ScriptExec.Supervisor.Runtime;

namespace ScriptExec.Supervisor.Processes;

/// <summary>
/// Reads a process's stdout and stderr sockets with async receives (no thread per stream), cuts them into lines and
/// hands them to the sink until the shared byte cap is reached; after that it keeps draining so the script never blocks.
/// Each line is admitted or dropped by the daemon-wide output budget, which never waits, and a kept one is masked
/// (secret values) before the sink sees it. A line that is valid UTF-8 and needs no masking reaches the sink as the
/// bytes read, never as a string: a flood costs a scan and a copy per line.
/// </summary>
internal sealed class OutputCapture : IDisposable
{
    /// <summary>What a stream's receives start with: most scripts write little, and a stream holds its buffer while it lives.</summary>
    internal const int ReceiveBufferBytes = 16 * 1024;

    /// <summary>
    /// What a stream's receives grow to once one filled the buffer (a flood): a quarter as many receives and
    /// hand-offs to the store, and reads that make chunks of a full size.
    /// </summary>
    internal const int FloodReceiveBufferBytes = 64 * 1024;

    private readonly IOutputSink _sink;
    private readonly OutputCaptureOptions _options;
    private readonly CancellationTokenSource _abort = new();

    // Kept apart from _abort so the loops never touch the source after it is disposed.
    private readonly CancellationToken _aborted;
    private readonly Lock _deliveryGate = new();
    private long _deliveredBytes;
    private volatile bool _truncated;

    // The UTF-8 of a line that went through a string (masked, or not valid UTF-8); touched under the gate only.
    private byte[] _encoded = [];

    private OutputCapture(IOutputSink sink, OutputCaptureOptions options)
    {
        _sink = sink;
        _options = options;
        _aborted = _abort.Token;
        Completion = Task.CompletedTask;
    }

    /// <summary>Completes when both streams reached end of file or were aborted; never faults.</summary>
    public Task Completion { get; private set; }

    /// <summary>Takes ownership of both sockets and starts reading them.</summary>
    public static OutputCapture Start(Socket stdout, Socket stderr, IOutputSink sink, OutputCaptureOptions options)
    {
        var capture = new OutputCapture(sink, options);
        capture.Completion = capture.CaptureAsync(stdout, stderr);
        return capture;
    }

    /// <summary>Stops reading (pending receives are cancelled) and closes the sockets; lines not yet read are lost.</summary>
    public void Abort()
    {
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already finished.
        }
    }

    /// <summary>Aborts what is still running and releases the cancellation source; call once <see cref="Completion"/> is done.</summary>
    public void Dispose()
    {
        Abort();
        _abort.Dispose();
    }

    private async Task CaptureAsync(Socket stdout, Socket stderr)
    {
        await Task.WhenAll(PumpAsync(stdout, OutputStream.Stdout), PumpAsync(stderr, OutputStream.Stderr));
        lock (_deliveryGate)
        {
            try
            {
                // The budget forgets the run on every path (end of file, abort), so a section still open is closed here.
                if (_options.Budget?.Complete(_options.BudgetKey) is { TrailingDropped: > 0 } budgetEnd)
                {
                    DeliverMarker(budgetEnd.TrailingDropped, _options.Time.GetUtcNow().ToUnixTimeMilliseconds());
                }
            }
            catch (Exception)
            {
                // As in Deliver.
            }

            try
            {
                _sink.OnEnd();
            }
            catch (Exception)
            {
                // As in Deliver: a failing sink must not fault the capture.
            }
        }
    }

    private async Task PumpAsync(Socket socket, OutputStream stream)
    {
        // Yield first so Start returns before any sink call, and so both streams start on the thread pool.
        await Task.Yield();
        var buffer = ArrayPool<byte>.Shared.Rent(ReceiveBufferBytes);
        var handler = new LineHandler(this, stream);
        using var splitter = new LineSplitter(_options.LineCapBytes, handler);
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, _aborted);
                if (received == 0)
                {
                    break;
                }

                if (!_truncated)
                {
                    DeliverRead(splitter, handler, buffer.AsSpan(0, received));
                }

                // Otherwise draining only: nothing more is delivered, so it is not even split.
                if (received == buffer.Length && buffer.Length < FloodReceiveBufferBytes)
                {
                    // The script writes faster than one buffer per read: read more at a time from now on.
                    buffer = Grow(buffer);
                }
            }

            if (!_truncated)
            {
                DeliverRead(splitter, handler, []);
            }
        }
        catch (Exception)
        {
            // Cancelled by Abort, or the socket failed: either way this stream is over, and a background loop must
            // not throw. Lines already delivered stay delivered.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            socket.Dispose();
        }
    }

    private static byte[] Grow(byte[] buffer)
    {
        var larger = ArrayPool<byte>.Shared.Rent(FloodReceiveBufferBytes);
        ArrayPool<byte>.Shared.Return(buffer);
        return larger;
    }

    /// <summary>Cuts one read into lines (an empty read: the stream ended, so its last line goes too) and closes the sink's batch.</summary>
    private void DeliverRead(LineSplitter splitter, LineHandler handler, ReadOnlySpan<byte> read)
    {
        handler.TimestampMs = _options.Time.GetUtcNow().ToUnixTimeMilliseconds();

        // The gate is held for the whole read, not taken per line: the lines of one read are one batch for the sink,
        // and serialized with the other stream's so OnTruncated is the last call the sink sees and the sink need
        // not be thread-safe.
        lock (_deliveryGate)
        {
            if (read.IsEmpty)
            {
                splitter.Flush();
            }
            else
            {
                splitter.Push(read);
            }

            try
            {
                _sink.OnReadDelivered();
            }
            catch (Exception)
            {
                // As in Deliver.
            }
        }
    }

    private void Deliver(OutputStream stream, ReadOnlySpan<byte> line, long timestampMs)
    {
        // Called under the gate (DeliverRead).
        if (_truncated)
        {
            return;
        }

        try
        {
            // The budget is charged what the script wrote, before any decoding, so a dropped line costs no string.
            // Dropped lines never count against the per-execution cap: only what is kept is stored.
            if (_options.Budget?.Admit(_options.BudgetKey, line.Length) is { } admission)
            {
                if (!admission.Admitted)
                {
                    return;
                }

                if (admission.DroppedBefore > 0 && !DeliverMarker(admission.DroppedBefore, timestampMs))
                {
                    return;
                }
            }

            if (_options.Secrets.IsEmpty && Utf8.IsValid(line))
            {
                // Nothing to mask and nothing to replace: the bytes read are the line as stored.
                Keep(stream, line, timestampMs);
                return;
            }

            // Masked before anything holds the text: the store and live subscribers never see a secret value.
            // Decoding also replaces what is not UTF-8 with U+FFFD, as the line is then stored.
            var content = Encoding.UTF8.GetString(line);
            if (!_options.Secrets.IsEmpty)
            {
                content = _options.Secrets.Mask(content);
            }

            Keep(stream, content, timestampMs);
        }
        catch (Exception)
        {
            // A failing sink loses a line, not the capture: the script must keep running and being drained.
        }
    }

    /// <summary>
    /// Closes a dropped section: the sink counts it, and its marker line goes to stderr, the stream the daemon's own
    /// lines use, so it never reads as the script's output. False when the cap left no room for it.
    /// </summary>
    private bool DeliverMarker(long droppedLines, long timestampMs)
    {
        _sink.OnDropped(droppedLines);
        if (_truncated)
        {
            return false;
        }

        return Keep(OutputStream.Stderr, OutputBudget.Marker(droppedLines), timestampMs);
    }

    /// <summary>Encodes a line that went through a string, then keeps it as <see cref="Keep(OutputStream, ReadOnlySpan{byte}, long)"/>.</summary>
    private bool Keep(OutputStream stream, string content, long timestampMs)
    {
        var bytes = Encoding.UTF8.GetByteCount(content);
        if (_encoded.Length < bytes)
        {
            _encoded = new byte[Math.Max(bytes, 256)];
        }

        Encoding.UTF8.GetBytes(content, _encoded);
        return Keep(stream, _encoded.AsSpan(0, bytes), timestampMs);
    }

    /// <summary>Hands a line to the sink unless it would exceed the byte cap (then the capture is truncated); call under the gate.</summary>
    private bool Keep(OutputStream stream, ReadOnlySpan<byte> content, long timestampMs)
    {
        if (_deliveredBytes + content.Length > _options.MaxStoredBytes)
        {
            _truncated = true;
            _sink.OnTruncated();
            return false;
        }

        _deliveredBytes += content.Length;
        _sink.OnLine(stream, content, timestampMs);
        return true;
    }

    private sealed class LineHandler(OutputCapture capture, OutputStream stream) : ILineHandler
    {
        public long TimestampMs { get; set; }

        public void OnLine(ReadOnlySpan<byte> line) => capture.Deliver(stream, line, TimestampMs);
    }
}
