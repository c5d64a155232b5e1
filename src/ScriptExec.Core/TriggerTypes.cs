namespace ScriptExec.Core;

/// <summary>Wire names of <see cref="TriggerType"/>.</summary>
public static class TriggerTypes
{
    /// <summary>
    /// The cron trigger's former wire name, still accepted on input and still the name the store writes: rows
    /// stored before the rename then need no migration, and filters in SQL match old and new rows alike.
    /// </summary>
    public const string ScheduleAlias = "schedule";

    public static string ToWire(this TriggerType type) => type switch
    {
        TriggerType.Manual => "manual",
        TriggerType.Xpath => "xpath",
        TriggerType.Schedule => "scheduler",
        TriggerType.System => "system",
        TriggerType.Restart => "restart",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>The name the store keeps: the wire name, except <see cref="ScheduleAlias"/> for cron triggers.</summary>
    public static string ToStored(this TriggerType type) => type == TriggerType.Schedule ? ScheduleAlias : type.ToWire();

    /// <summary>Parses a wire or stored name; <c>scheduler</c> and its alias <c>schedule</c> both mean <see cref="TriggerType.Schedule"/>.</summary>
    public static bool TryParse(string? value, out TriggerType type)
    {
        switch (value)
        {
            case "manual": type = TriggerType.Manual; return true;
            case "xpath": type = TriggerType.Xpath; return true;
            case "scheduler" or ScheduleAlias: type = TriggerType.Schedule; return true;
            case "system": type = TriggerType.System; return true;
            case "restart": type = TriggerType.Restart; return true;
            default: type = default; return false;
        }
    }
}
