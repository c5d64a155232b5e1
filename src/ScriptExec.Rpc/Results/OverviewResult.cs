
namespace ScriptExec.Rpc.Results;

public sealed record InstanceOverviewDto(string Name, TriggerDto StartTrigger, TriggerDto? StopTrigger, ExecutionDto? LastExecution);

public sealed record ScriptOverviewDto(string Name, string Version, string? Description, IReadOnlyList<InstanceOverviewDto> Instances);

public sealed record OverviewResult(IReadOnlyList<ScriptOverviewDto> Scripts);
