using ScriptExec.Core;

namespace ScriptExec.Rpc.Results;

/// <summary>
/// Seed 000's Execution, plus pid (while alive), output_truncated, script_version and output_dropped_lines (present
/// only when the output budget dropped lines, so a run that lost nothing keeps the seed's shape).
/// </summary>
public sealed record ExecutionDto(
    long Id,
    string ScriptName,
    string InstanceName,
    long StartTimestamp,
    TriggerDto StartTrigger,
    string State,
    string? Arguments,
    long? Duration,
    int? ExitCode,
    TriggerDto? StopTrigger,
    bool IsOutdated,
    int? Pid,
    bool OutputTruncated,
    string ScriptVersion,
    long? OutputDroppedLines)
{
    public static ExecutionDto From(Execution e) => new(
        e.Id,
        e.ScriptName,
        e.InstanceName,
        e.StartTimestamp,
        TriggerDto.From(e.StartTrigger),
        e.State.ToWire(),
        e.Arguments,
        e.DurationMs,
        e.ExitCode,
        e.StopTrigger is { } stop ? TriggerDto.From(stop) : null,
        e.IsOutdated,
        e.Pid,
        e.OutputTruncated,
        e.ScriptVersion,
        e.OutputDroppedLines > 0 ? e.OutputDroppedLines : null);
}

public sealed record ExecutionsResult(IReadOnlyList<ExecutionDto> Executions);
