using ScriptExec.Core;

namespace ScriptExec.Rpc.Results;

// Result shapes on the wire. Property names become snake_case through RpcJson's naming policy; null
// properties are omitted, which is how seed 000's presence rules (setting, username, duration, exit_code,
// stop_trigger, pid) are met: the domain leaves them null where they must be absent.

/// <summary>A start or stop trigger: <c>setting</c> for xpath and scheduler, <c>username</c> for manual, <c>reason</c> for system.</summary>
public sealed record TriggerDto(string Type, string? Setting = null, string? Username = null, string? Reason = null)
{
    public static TriggerDto From(Trigger t) => new(t.Type.ToWire(), t.ConfiguredSetting, t.Username, t.Reason);

    public static TriggerDto From(TriggerDefinition t) => new(t.Type.ToWire(), t.Setting);
}
