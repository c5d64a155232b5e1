using ScriptExec.Core;
using ScriptExec.Store;
using ScriptExec.Supervisor.Processes;

namespace ScriptExec.Supervisor;

/// <summary>Numbers captured lines per execution and queues them for the batched output writer.</summary>
internal sealed class ExecutionOutputSink : IOutputSink
{
    private readonly OutputStore _output;
    private readonly Action<long, OutputLine>? _onLine;
    private long _lastLineId;

    public ExecutionOutputSink(OutputStore output, Action<long, OutputLine>? onLine)
    {
        _output = output;
        _onLine = onLine;
    }

    /// <summary>Assigned after the start record is committed, before the process is spawned.</summary>
    public long ExecutionId { get; set; }

    public bool Truncated { get; private set; }

    /// <summary>UTF-8 bytes of the lines stored, for retention by total output size.</summary>
    public long StoredBytes { get; private set; }

    public void OnLine(OutputStream stream, string content, long timestampMs)
    {
        // Calls never overlap (the capture serializes them), so a plain increment numbers lines in arrival order.
        var line = new OutputLine(++_lastLineId, content, (OutputStreamKind)(int)stream, timestampMs);
        StoredBytes += System.Text.Encoding.UTF8.GetByteCount(content);
        var append = _output.AppendAsync(ExecutionId, line);
        if (!append.IsCompletedSuccessfully)
        {
            // The store is far behind (only with output caps raised well above defaults): wait rather than grow
            // memory; the script then waits on its full socket buffer, as on a slow terminal.
            append.AsTask().GetAwaiter().GetResult();
        }

        _onLine?.Invoke(ExecutionId, line);
    }

    public void OnTruncated() => Truncated = true;

    /// <summary>
    /// After the final flush: whether the output is incomplete (the cap was reached, or the store refused lines) and
    /// the bytes really stored.
    /// </summary>
    public (bool Truncated, long StoredBytes) Settle()
    {
        var lost = _output.TakeLost(ExecutionId);
        return (Truncated || lost.Lines > 0, StoredBytes - lost.Bytes);
    }
}
