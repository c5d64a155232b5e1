using Cronos;
using ScriptExec.Core;

namespace ScriptExec.Supervisor.Triggers;

/// <summary>Cron schedules: one loop per scheduled instance, waiting on the injectable clock.</summary>
public sealed partial class TriggerEngine
{
    // Reloads come from concurrent RPC calls: one at a time, or one could cancel and dispose the token source
    // another is still starting loops with, and the last to finish could apply an older instance list.
    private readonly Lock _reloadLock = new();
    private CancellationTokenSource? _schedules;

    /// <summary>Parses a five-field cron expression (local time); throws <see cref="FormatException"/> with the reason.</summary>
    public static CronExpression ParseSchedule(string setting)
    {
        try
        {
            return CronExpression.Parse(setting.Trim(), CronFormat.Standard);
        }
        catch (CronFormatException e)
        {
            throw new FormatException(e.Message, e);
        }
    }

    private void RestartSchedules(IReadOnlyList<InstanceDefinition> instances)
    {
        StopSchedules();
        var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        _schedules = cts;
        foreach (var instance in instances)
        {
            if (instance.StartTrigger is { Type: TriggerType.Schedule, Setting: { } setting })
            {
                _ = RunScheduleAsync(instance.ScriptName, instance.InstanceName, setting, cts.Token);
            }
        }
    }

    private void StopSchedules()
    {
        lock (_reloadLock)
        {
            var previous = Interlocked.Exchange(ref _schedules, null);
            if (previous is not null)
            {
                previous.Cancel();
                previous.Dispose();
            }
        }
    }

    private async Task RunScheduleAsync(string script, string instance, string setting, CancellationToken cancellationToken)
    {
        var expression = ParseSchedule(setting);
        var trigger = new Trigger(TriggerType.Schedule, setting);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var now = _time.GetUtcNow();
                if (expression.GetNextOccurrence(now.UtcDateTime, _time.LocalTimeZone) is not { } next)
                {
                    return;
                }

                await Task.Delay(next - now.UtcDateTime, _time, cancellationToken);
                Interlocked.Increment(ref _scheduleFired);
                if (!await StartAsync(script, instance, trigger))
                {
                    Interlocked.Increment(ref _scheduleSkipped);
                    Log.ScheduleSkipped(_logger, script, instance, setting);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Reloaded or shutting down.
        }
    }
}
