namespace ScriptExec.Core;

/// <summary>A start or stop trigger as configured on an instance (no username: that is recorded per execution).</summary>
public sealed record TriggerDefinition(TriggerType Type, string? Setting = null)
{
    public static readonly TriggerDefinition Manual = new(TriggerType.Manual);
}
