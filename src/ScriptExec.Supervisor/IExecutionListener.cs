using ScriptExec.Core;

namespace ScriptExec.Supervisor;

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
