using ScriptExec.Supervisor.Runtime;

namespace ScriptExec.Rpc.Results;

/// <summary>
/// The daemon-wide output budget in <c>status</c>: its rates (0: that dimension off; both 0: <c>enabled</c> false),
/// what is left of this second's allowance, how many executions share it now, and the lines dropped since start.
/// </summary>
public sealed record BudgetStatus(
    bool Enabled, int BytesPerS, int LinesPerS, long AvailableBytes, long AvailableLines, int ActiveExecutions, long DroppedLines)
{
    public static BudgetStatus From(OutputBudget budget)
    {
        var snapshot = budget.Snapshot();
        return new BudgetStatus(
            snapshot.BytesPerSecond > 0 || snapshot.LinesPerSecond > 0,
            snapshot.BytesPerSecond,
            snapshot.LinesPerSecond,
            snapshot.AvailableBytes,
            snapshot.AvailableLines,
            snapshot.ActiveExecutions,
            snapshot.DroppedLines);
    }
}
