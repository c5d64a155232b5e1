
namespace ScriptExec.Rpc.Results;

/// <summary>script_start / script_stop / rerun: RipEX2's overview plus the execution concerned.</summary>
public sealed record ControlResult(IReadOnlyList<ScriptOverviewDto> Scripts, ExecutionDto Execution);
