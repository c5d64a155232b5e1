using ScriptExec.Core;
using ScriptExec.Store;

namespace ScriptExec.Rpc.Methods;

// Result shapes on the wire. Property names become snake_case through RpcJson's naming policy; null
// properties are omitted, which is how seed 000's presence rules (setting, username, duration, exit_code,
// stop_trigger, pid) are met: the domain leaves them null where they must be absent.

/// <summary>A start or stop trigger.</summary>
public sealed record TriggerDto(string Type, string? Setting = null, string? Username = null)
{
    public static TriggerDto From(Trigger t) => new(t.Type.ToWire(), t.Setting, t.Username);

    public static TriggerDto From(TriggerDefinition t) => new(t.Type.ToWire(), t.Setting);
}

/// <summary>Seed 000's Execution, plus pid (while alive), output_truncated and script_version.</summary>
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
    string ScriptVersion)
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
        e.ScriptVersion);
}

public sealed record ExecutionsResult(IReadOnlyList<ExecutionDto> Executions);

public sealed record InstanceOverviewDto(string Name, TriggerDto StartTrigger, TriggerDto? StopTrigger, ExecutionDto? LastExecution);

public sealed record ScriptOverviewDto(string Name, string Version, string? Description, IReadOnlyList<InstanceOverviewDto> Instances);

public sealed record OverviewResult(IReadOnlyList<ScriptOverviewDto> Scripts);

/// <summary>script_start / script_stop / rerun: RipEX2's overview plus the execution concerned.</summary>
public sealed record ControlResult(IReadOnlyList<ScriptOverviewDto> Scripts, ExecutionDto Execution);

public sealed record ScriptDto(string Name, string? Source, string Version, string? Description, long UpdatedTimestamp)
{
    public static ScriptDto From(ScriptDefinition s, bool withSource) =>
        new(s.Name, withSource ? s.Source : null, s.Version, s.Description, s.UpdatedTimestamp);
}

public sealed record InstanceDto(
    string ScriptName,
    string InstanceName,
    string? Arguments,
    IReadOnlyDictionary<string, string> Env,
    string? WorkingDir,
    string? User,
    int? TimeoutS,
    int StopGraceS,
    TriggerDto StartTrigger,
    TriggerDto? StopTrigger,
    long UpdatedTimestamp)
{
    public static InstanceDto From(InstanceDefinition d) => new(
        d.ScriptName,
        d.InstanceName,
        d.Arguments,
        Masked(d),
        d.WorkingDirectory,
        d.User,
        d.TimeoutSeconds,
        d.StopGraceSeconds,
        TriggerDto.From(d.StartTrigger),
        d.StopTrigger is { } stop ? TriggerDto.From(stop) : null,
        d.UpdatedTimestamp);

    /// <summary>Plain entries as they are, secret ones as the mask: never a secret value.</summary>
    private static Dictionary<string, string> Masked(InstanceDefinition d)
    {
        var env = new Dictionary<string, string>(d.Environment, StringComparer.Ordinal);
        foreach (var name in d.SecretEnvironment.Keys)
        {
            env[name] = InstanceDefinition.SecretMask;
        }

        return env;
    }
}

public sealed record EmptyResult;

public sealed record LineDto(long Id, string Content, string Stream, long TimestampMs)
{
    public static LineDto From(OutputLine l) => new(l.Id, l.Content, l.Stream == OutputStreamKind.Stdout ? "stdout" : "stderr", l.TimestampMs);
}

public sealed record OutputResult(ExecutionDto Execution, IReadOnlyList<LineDto> Lines);

public sealed record InstanceNamesDto(string ScriptName, IReadOnlyList<string> InstanceNames);

public sealed record FilterOptionsResult(
    IReadOnlyList<InstanceNamesDto> Instances,
    IReadOnlyList<int> ExitCodes,
    IReadOnlyList<string> States,
    IReadOnlyList<string> TriggerTypes,
    IReadOnlyList<string> Usernames)
{
    public static FilterOptionsResult From(ExecutionFilterOptions o) => new(
        [.. o.Instances.Select(i => new InstanceNamesDto(i.ScriptName, i.InstanceNames ?? []))],
        o.ExitCodes,
        [.. o.States.Select(s => s.ToWire())],
        [.. o.TriggerTypes.Select(t => t.ToWire())],
        o.Usernames);
}
