using ScriptExec.Core;

namespace ScriptExec.Rpc.Results;

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
    long UpdatedTimestamp,
    string Role,
    IReadOnlyDictionary<string, int?> Limits,
    bool Enabled,
    RestartDto? Restart,
    string Overlap,
    bool CatchUp,
    IReadOnlyList<string>? UnenforcedLimits)
{
    /// <summary>The instance as the wire shows it; <paramref name="unenforced"/>: its limits this machine cannot enforce (left out when none).</summary>
    public static InstanceDto From(InstanceDefinition d, IReadOnlyList<string>? unenforced = null) => new(
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
        d.UpdatedTimestamp,
        d.Role.ToWire(),
        d.Limits.ToWire(),
        d.Enabled,
        RestartDto.From(d.Restart),
        d.Overlap.ToWire(),
        d.CatchUp,
        unenforced is { Count: > 0 } ? unenforced : null);

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
