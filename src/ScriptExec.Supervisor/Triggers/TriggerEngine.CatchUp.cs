using ScriptExec.Core;

namespace ScriptExec.Supervisor.Triggers;

/// <summary>
/// Schedule ticks that fell while the daemon was down: by default they are not run late (logged as missed);
/// an instance with <c>catch_up: true</c> runs once at start for them, however many there were (systemd's
/// <c>Persistent=</c>).
/// </summary>
public sealed partial class TriggerEngine
{
    /// <summary>Restarts the previous daemon had pending are decided again from the stored policies.</summary>
    private void ResumeRestarts()
    {
        var restarting = _scripts.ListInstances().Where(i => i.Enabled && i.Restart is not null).Select(i => (i.ScriptName, i.InstanceName)).ToList();
        if (restarting.Count > 0)
        {
            _control.Restarts.Resume(_control.Executions.LastOf(restarting).Values);
        }
    }

    private void CatchUpMissedTicks()
    {
        var scheduled = _scripts.ListInstances()
            .Where(i => i.Enabled && i.StartTrigger is { Type: TriggerType.Schedule, Setting: not null })
            .ToList();
        if (scheduled.Count == 0)
        {
            return;
        }

        var now = _time.GetUtcNow().UtcDateTime;
        var last = _control.Executions.LastOf(scheduled.Select(i => (i.ScriptName, i.InstanceName)));
        foreach (var instance in scheduled)
        {
            var setting = instance.StartTrigger.Setting!;
            Cronos.CronExpression expression;
            try
            {
                expression = ParseSchedule(setting);
            }
            catch (FormatException)
            {
                // Reported by the reload; nothing to catch up.
                continue;
            }

            // The last moment the schedule is known to have been looked after: its newest run, or when the instance
            // was set (or enabled) if that came later.
            var seen = Math.Max(
                instance.UpdatedTimestamp,
                last.TryGetValue((instance.ScriptName, instance.InstanceName), out var newest) ? newest.StartTimestamp : 0);
            if (expression.GetNextOccurrence(DateTimeOffset.FromUnixTimeSeconds(seen).UtcDateTime, _time.LocalTimeZone) is not { } missed
                || missed >= now)
            {
                continue;
            }

            if (!instance.CatchUp)
            {
                Log.TickMissed(_logger, instance.ScriptName, instance.InstanceName, setting, missed, "not run late (catch_up is off)");
                Tally.Skipped(TriggerType.Schedule, TriggerSkipReason.CatchUpOff);
                continue;
            }

            Log.TickMissed(_logger, instance.ScriptName, instance.InstanceName, setting, missed, "run once now (catch_up)");
            _ = FireScheduleAsync(instance.ScriptName, instance.InstanceName, setting, new Trigger(TriggerType.Schedule, setting));
        }
    }
}
