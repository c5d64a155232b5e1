using System.Text;
using ScriptExec.Core;
using ScriptExec.Store;
using ScriptExec.Supervisor.Processes;

namespace ScriptExec.Supervisor;

/// <summary>
/// Numbers captured lines per execution, collects the lines of each read into one <see cref="OutputBatch"/> for the
/// output writer (encoded as they come, no object per line), and hands them to the <see cref="OutputDispatcher"/>
/// as one batch, as text, only while someone listens. Line ids are given here, at capture, so the ids subscribers
/// receive are those the store will answer with.
/// </summary>
internal sealed class ExecutionOutputSink : IOutputSink
{
    private readonly OutputStore _output;
    private readonly OutputDispatcher _dispatcher;
    private readonly List<OutputLine> _batch = [];
    private int _batchBytes;

    // The lines of the read under way, for the store; handed over at the end of the read.
    private OutputBatch? _stored;
    private long _lastLineId;

    // Content bytes of the last read stored: the next read's batch is sized like it (a flood's reads are alike).
    private int _lastReadBytes;

    // Lines the dispatcher refused (it was full); reported with the next batch it takes.
    private long _undispatched;

    public ExecutionOutputSink(OutputStore output, OutputDispatcher dispatcher)
    {
        _output = output;
        _dispatcher = dispatcher;
    }

    /// <summary>Assigned after the start record is committed, before the process is spawned.</summary>
    public long ExecutionId { get; set; }

    public bool Truncated { get; private set; }

    /// <summary>Lines the output budget dropped (each dropped section is stored as one marker line instead).</summary>
    public long DroppedLines { get; private set; }

    /// <summary>UTF-8 bytes of the lines stored, for retention by total output size.</summary>
    public long StoredBytes { get; private set; }

    public void OnLine(OutputStream stream, ReadOnlySpan<byte> content, long timestampMs)
    {
        // Calls never overlap (the capture serializes them), so a plain increment numbers lines in arrival order.
        var id = ++_lastLineId;
        var kind = (OutputStreamKind)(int)stream;
        _stored ??= new OutputBatch(ExecutionId, _lastReadBytes);
        _stored.Add(id, kind, timestampMs, content);
        StoredBytes += content.Length;

        // Nobody subscribed to output: nothing to collect (a subscriber added now gets the lines from the next read).
        if (_dispatcher.HasOutputListeners)
        {
            var line = new OutputLine(id, Encoding.UTF8.GetString(content), kind, timestampMs);
            _batch.Add(line);
            _batchBytes += CapturedOutput.QueuedBytesOf(line);
        }
    }

    /// <summary>A line of the daemon's own, given as text (spawn notes and failures).</summary>
    public void OnLine(OutputStream stream, string content, long timestampMs) =>
        OnLine(stream, Encoding.UTF8.GetBytes(content), timestampMs);

    public void OnReadDelivered()
    {
        Store();
        Dispatch(force: false);
    }

    public void OnTruncated() => Truncated = true;

    public void OnDropped(long lines) => DroppedLines += lines;

    /// <summary>
    /// After the final flush: whether the output is incomplete (the cap was reached, or the store refused lines) and
    /// the bytes really stored.
    /// </summary>
    public (bool Truncated, long StoredBytes) Settle()
    {
        var lost = _output.TakeLost(ExecutionId);
        return (Truncated || lost.Lines > 0, StoredBytes - lost.Bytes);
    }

    /// <summary>Hands on what is left, and what was dropped, even past the dispatcher's bound: nothing follows.</summary>
    public void OnEnd()
    {
        Store();
        Dispatch(force: true);
    }

    private void Store()
    {
        if (_stored is not { } stored)
        {
            return;
        }

        _stored = null;
        _lastReadBytes = (int)Math.Min(stored.ContentBytes, int.MaxValue);
        var append = _output.AppendAsync(stored);
        if (!append.IsCompletedSuccessfully)
        {
            // The store is far behind (only with output caps raised well above defaults): wait rather than grow
            // memory; the script then waits on its full socket buffer, as on a slow terminal.
            append.AsTask().GetAwaiter().GetResult();
        }
    }

    private void Dispatch(bool force)
    {
        if (_batch.Count == 0 && (_undispatched == 0 || !force))
        {
            return;
        }

        var output = new CapturedOutput(ExecutionId, [.. _batch], _undispatched, _batchBytes);
        if (_dispatcher.TryPublish(output, force))
        {
            _undispatched = 0;
        }
        else
        {
            _undispatched += _batch.Count;
        }

        _batch.Clear();
        _batchBytes = 0;
    }
}
