using System.Buffers;
using System.Net.Sockets;
using System.Text;
using ScriptExec.Supervisor.Runtime;

namespace ScriptExec.Supervisor.Processes;

/// <summary>
/// Reads a process's stdout and stderr sockets with async receives (no thread per stream), cuts them into lines and
/// hands them to the sink until the shared byte cap is reached; after that it keeps draining so the script never blocks.
/// Each line is admitted or dropped by the daemon-wide output budget, which never waits, and a kept one is masked
/// (secret values) before the sink sees it.
/// </summary>
internal sealed class OutputCapture : IDisposable
{
    private const int ReceiveBufferBytes = 16 * 1024;

    private readonly IOutputSink _sink;
    private readonly OutputCaptureOptions _options;
    private readonly CancellationTokenSource _abort = new();

    // Kept apart from _abort so the loops never touch the source after it is disposed.
    private readonly CancellationToken _aborted;
    private readonly Lock _deliveryGate = new();
    private long _deliveredBytes;
    private volatile bool _truncated;

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

                if (_truncated)
                {
                    // Draining only: nothing more is delivered, so do not even split.
                    continue;
                }

                handler.TimestampMs = _options.Time.GetUtcNow().ToUnixTimeMilliseconds();
                splitter.Push(buffer.AsSpan(0, received));
                ReadDelivered();
            }

            if (!_truncated)
            {
                handler.TimestampMs = _options.Time.GetUtcNow().ToUnixTimeMilliseconds();
                splitter.Flush();
                ReadDelivered();
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

    private void Deliver(OutputStream stream, ReadOnlySpan<byte> line, long timestampMs)
    {
        // Serialized so OnTruncated is the last call the sink sees, and so the sink need not be thread-safe.
        lock (_deliveryGate)
        {
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

                // Masked before anything holds the text: the store and live subscribers never see a secret value.
                var content = Encoding.UTF8.GetString(line);
                if (!_options.Secrets.IsEmpty)
                {
                    content = _options.Secrets.Mask(content);
                }

                Keep(stream, content, Encoding.UTF8.GetByteCount(content), timestampMs);
            }
            catch (Exception)
            {
                // A failing sink loses a line, not the capture: the script must keep running and being drained.
            }
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

        var marker = OutputBudget.Marker(droppedLines);
        return Keep(OutputStream.Stderr, marker, Encoding.UTF8.GetByteCount(marker), timestampMs);
    }

    /// <summary>Hands a line to the sink unless it would exceed the byte cap (then the capture is truncated); call under the gate.</summary>
    private bool Keep(OutputStream stream, string content, int bytes, long timestampMs)
    {
        if (_deliveredBytes + bytes > _options.MaxStoredBytes)
        {
            _truncated = true;
            _sink.OnTruncated();
            return false;
        }

        _deliveredBytes += bytes;
        _sink.OnLine(stream, content, timestampMs);
        return true;
    }

    private void ReadDelivered()
    {
        lock (_deliveryGate)
        {
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

    private sealed class LineHandler(OutputCapture capture, OutputStream stream) : ILineHandler
    {
        public long TimestampMs { get; set; }

        public void OnLine(ReadOnlySpan<byte> line) => capture.Deliver(stream, line, TimestampMs);
    }
}
