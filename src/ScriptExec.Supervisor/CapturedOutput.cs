using ScriptExec.Core;

namespace ScriptExec.Supervisor;

/// <summary>
/// Lines of one execution captured together (one read of its output), handed to the dispatcher as one unit and
/// shared, never copied, by every subscriber that receives them.
/// </summary>
/// <param name="Lines">In line id order; empty when the batch only reports <paramref name="DroppedBefore"/>.</param>
/// <param name="DroppedBefore">Lines captured before these that never reached the dispatcher (it was full).</param>
/// <param name="QueuedBytes">What holding the batch in a queue costs, for the queues' byte budgets.</param>
public sealed record CapturedOutput(long ExecutionId, IReadOnlyList<OutputLine> Lines, long DroppedBefore, int QueuedBytes)
{
    /// <summary>The queue cost of one line: its UTF-16 content and the line's fixed overhead.</summary>
    public static int QueuedBytesOf(OutputLine line) => 64 + (line.Content.Length * 2);
}

/// <summary>
/// What the <see cref="OutputDispatcher"/> delivers to. Calls come from the dispatcher's one loop, never from the
/// capture path, never overlapping; an implementation must only queue (never wait), or every listener falls behind.
/// </summary>
public interface IExecutionListener
{
    /// <summary>A committed state change of an execution (start, terminating, end), in order with its output.</summary>
    void OnChanged(Execution execution);

    /// <summary>Captured output of <paramref name="execution"/> (as last known; it is running or terminating).</summary>
    void OnOutput(Execution execution, CapturedOutput output);
}
