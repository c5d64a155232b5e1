namespace ScriptExec.Core;

/// <summary>Wire names of <see cref="TriggerType"/>.</summary>
public static class TriggerTypes
{
    public static string ToWire(this TriggerType type) => type switch
    {
        TriggerType.Manual => "manual",
        TriggerType.Xpath => "xpath",
        TriggerType.Schedule => "schedule",
        TriggerType.System => "system",
        TriggerType.Restart => "restart",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    public static bool TryParse(string? value, out TriggerType type)
    {
        switch (value)
        {
            case "manual": type = TriggerType.Manual; return true;
            case "xpath": type = TriggerType.Xpath; return true;
            case "schedule": type = TriggerType.Schedule; return true;
            case "system": type = TriggerType.System; return true;
            case "restart": type = TriggerType.Restart; return true;
            default: type = default; return false;
        }
    }
}
