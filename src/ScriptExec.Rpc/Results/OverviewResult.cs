
namespace ScriptExec.Rpc.Results;

/// <summary>An instance in the overview; <c>workdir_bytes</c> is the size of its persistent working directory.</summary>
public sealed record InstanceOverviewDto(string Name, TriggerDto StartTrigger, TriggerDto? StopTrigger, ExecutionDto? LastExecution, long WorkdirBytes);

public sealed record ScriptOverviewDto(string Name, string Version, string? Description, IReadOnlyList<InstanceOverviewDto> Instances);

public sealed record OverviewResult(IReadOnlyList<ScriptOverviewDto> Scripts);
