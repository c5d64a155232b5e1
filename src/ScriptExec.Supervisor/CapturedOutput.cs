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
