
namespace ScriptExec.Rpc.Results;

/// <summary>
/// An instance in the overview; <c>workdir_bytes</c> is the size of its persistent working directory. With a restart
/// policy: <c>next_start_timestamp</c> while a restart is pending, <c>restart_gave_up</c> once it has given up.
/// </summary>
public sealed record InstanceOverviewDto(
    string Name,
    TriggerDto StartTrigger,
    TriggerDto? StopTrigger,
    ExecutionDto? LastExecution,
    long WorkdirBytes,
    bool Enabled,
    long? NextStartTimestamp = null,
    bool? RestartGaveUp = null);

public sealed record ScriptOverviewDto(string Name, string Version, string? Description, IReadOnlyList<InstanceOverviewDto> Instances);

public sealed record OverviewResult(IReadOnlyList<ScriptOverviewDto> Scripts);
