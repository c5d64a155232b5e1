namespace ScriptExec.Core;

/// <summary>The life-cycle state of an execution: running → (terminating) → finished | killed.</summary>
public enum ExecutionState
{
    Running,
    Terminating,
    Finished,
    Killed,
}

/// <summary>Wire names of <see cref="ExecutionState"/>, exactly as seed 000 spells them.</summary>
public static class ExecutionStates
{
    public static readonly IReadOnlyList<ExecutionState> All =
        [ExecutionState.Running, ExecutionState.Terminating, ExecutionState.Finished, ExecutionState.Killed];

    public static string ToWire(this ExecutionState state) => state switch
    {
        ExecutionState.Running => "running",
        ExecutionState.Terminating => "terminating",
        ExecutionState.Finished => "finished",
        ExecutionState.Killed => "killed",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static bool TryParse(string? value, out ExecutionState state)
    {
        switch (value)
        {
            case "running": state = ExecutionState.Running; return true;
            case "terminating": state = ExecutionState.Terminating; return true;
            case "finished": state = ExecutionState.Finished; return true;
            case "killed": state = ExecutionState.Killed; return true;
            default: state = default; return false;
        }
    }

    /// <summary>True for the states in which the process may still be alive.</summary>
    public static bool IsActive(this ExecutionState state) =>
        state is ExecutionState.Running or ExecutionState.Terminating;
}
