using ScriptExec.Core;
using ScriptExec.Core.Triggers;
using ScriptExec.Supervisor.Triggers;

namespace ScriptExec.Rpc.Methods;

/// <summary>Reads and validates an instance's start_trigger and stop_trigger.</summary>
internal static class TriggerReader
{
    /// <summary>A start trigger: manual, xpath or scheduler (alias schedule).</summary>
    public static TriggerDefinition ReadStart(ParamsReader trigger) => Read(trigger, allowSchedule: true);

    /// <summary>A stop trigger: manual or xpath.</summary>
    public static TriggerDefinition ReadStop(ParamsReader trigger) => Read(trigger, allowSchedule: false);

    private static TriggerDefinition Read(ParamsReader trigger, bool allowSchedule)
    {
        var type = trigger.RequiredString("type");
        var setting = trigger.OptionalString("setting");
        trigger.End();
        return type switch
        {
            "manual" => setting is null ? TriggerDefinition.Manual : throw NoSetting(trigger),
            "xpath" => new TriggerDefinition(TriggerType.Xpath, ValidXpath(trigger, setting)),
            "scheduler" or TriggerTypes.ScheduleAlias when allowSchedule => new TriggerDefinition(TriggerType.Schedule, ValidSchedule(trigger, setting)),
            _ => throw new InvalidParameterException(
                trigger.PathOf("type"), allowSchedule ? "must be one of manual, xpath, scheduler" : "must be one of manual, xpath"),
        };
    }

    private static string ValidXpath(ParamsReader trigger, string? setting)
    {
        try
        {
            XpathTrigger.Parse(setting ?? throw new InvalidParameterException(trigger.PathOf("setting"), "is required for xpath triggers"));
            return setting;
        }
        catch (FormatException e)
        {
            throw new InvalidParameterException(trigger.PathOf("setting"), e.Message);
        }
    }

    private static string ValidSchedule(ParamsReader trigger, string? setting)
    {
        try
        {
            if (TriggerEngine.IsReboot(setting))
            {
                return TriggerEngine.RebootSetting;
            }

            TriggerEngine.ParseSchedule(setting ?? throw new InvalidParameterException(trigger.PathOf("setting"), "is required for scheduler triggers"));
            return setting;
        }
        catch (FormatException e)
        {
            throw new InvalidParameterException(trigger.PathOf("setting"), "must be a five-field cron expression or @reboot: " + e.Message);
        }
    }

    private static InvalidParameterException NoSetting(ParamsReader trigger) =>
        new(trigger.PathOf("setting"), "is not allowed for manual triggers");
}
