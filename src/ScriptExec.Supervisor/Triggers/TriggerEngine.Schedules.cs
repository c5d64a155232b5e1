using Cronos;
using Microsoft.Data.Sqlite;
using ScriptExec.Core;

namespace ScriptExec.Supervisor.Triggers;

/// <summary>
/// Scheduler triggers: one loop per cron-scheduled instance, waiting on the injectable clock; <c>@reboot</c>
/// instances start once per machine boot, at the first daemon start in it.
/// </summary>
public sealed partial class TriggerEngine
{
    /// <summary>The scheduler setting that means "once per machine boot" instead of a cron expression.</summary>
    public const string RebootSetting = "@reboot";

    // Reloads come from concurrent RPC calls: one at a time, or one could cancel and dispose the token source
    // another is still starting loops with, and the last to finish could apply an older instance list.
    private readonly Lock _reloadLock = new();
    private CancellationTokenSource? _schedules;

    private Task _rebootStarts = Task.CompletedTask;

    /// <summary>
    /// Completes once the @reboot starts of this daemon start have been made (or skipped); lets a caller tell
    /// "not started" from "not started yet".
    /// </summary>
    public Task RebootStarts => Volatile.Read(ref _rebootStarts);

    /// <summary>True for the <c>@reboot</c> setting (surrounding blanks and case ignored, as cron does).</summary>
    public static bool IsReboot(string? setting) =>
        setting is not null && string.Equals(setting.Trim(), RebootSetting, StringComparison.OrdinalIgnoreCase);

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

    private void RestartSchedules(IReadOnlyList<InstanceDefinition> instances, bool atStartup)
    {
        StopSchedules();
        var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        _schedules = cts;
        var reboots = new List<InstanceDefinition>();
        foreach (var instance in instances)
        {
            if (instance.StartTrigger is { Type: TriggerType.Schedule, Setting: { } setting })
            {
                if (IsReboot(setting))
                {
                    reboots.Add(instance);
                }
                else
                {
                    _ = RunScheduleAsync(instance.ScriptName, instance.InstanceName, setting, cts.Token);
                }
            }
        }

        var starts = HandleReboots(reboots, atStartup);
        if (atStartup)
        {
            Volatile.Write(ref _rebootStarts, starts);
        }
    }

    /// <summary>
    /// At daemon start, starts each @reboot instance whose recorded boot is not the current one and records the
    /// current one first (at most once per boot, even if the daemon dies during the start). Later reloads only
    /// record the current boot for newly configured @reboot instances: like cron, configuring one does not run
    /// it; the next boot does.
    /// </summary>
    private Task HandleReboots(List<InstanceDefinition> reboots, bool atStartup)
    {
        var bootId = _bootIds.Read();
        var starts = new List<Task>();
        try
        {
            _reboots.Retain(reboots.Select(i => (i.ScriptName, i.InstanceName)).ToHashSet());
        }
        catch (Exception e) when (e is SqliteException or ScriptExecException)
        {
            // Stale rows only cost space; the next reload tries again.
        }

        foreach (var instance in reboots)
        {
            var (script, name) = (instance.ScriptName, instance.InstanceName);
            if (IsNewBoot(script, name, bootId) && atStartup)
            {
                // Off the reload lock, as xpath starts are: a start must never run under it.
                starts.Add(Task.Run(() => FireScheduleAsync(script, name, RebootSetting, new Trigger(TriggerType.Schedule, RebootSetting))));
            }
        }

        return Task.WhenAll(starts);
    }

    /// <summary>
    /// True if the instance's @reboot was last handled in another boot than <paramref name="bootId"/>, which is
    /// then recorded. When that cannot be told (no boot id, store failing) also true: a run too many after a
    /// restart is the lesser harm than a boot without it.
    /// </summary>
    private bool IsNewBoot(string script, string instance, string? bootId)
    {
        if (bootId is null)
        {
            Log.RebootUntracked(_logger, script, instance, "the boot id is unreadable");
            return true;
        }

        try
        {
            if (_reboots.LastBoot(script, instance) == bootId)
            {
                return false;
            }

            _reboots.SetLastBoot(script, instance, bootId);
            return true;
        }
        catch (Exception e) when (e is SqliteException or ScriptExecException)
        {
            Log.RebootUntracked(_logger, script, instance, e.Message);
            return true;
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

    /// <summary>
    /// The longest a schedule sleeps before it reads the wall clock again. Timers run on the monotonic clock, so
    /// without this a wall-clock step (NTP, an RTC-less device setting its time) would shift the next run by the
    /// step, and a tick months away would ask for a timer longer than the 49.7 days <see cref="Task.Delay(TimeSpan)"/>
    /// accepts.
    /// </summary>
    public static readonly TimeSpan ScheduleMaxSleep = TimeSpan.FromSeconds(30);

    private async Task RunScheduleAsync(string script, string instance, string setting, CancellationToken cancellationToken)
    {
        var expression = ParseSchedule(setting);
        var trigger = new Trigger(TriggerType.Schedule, setting);
        var tick = new ScheduleTick(expression, _time.LocalTimeZone);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var now = _time.GetUtcNow().UtcDateTime;
                if (tick.Due(now))
                {
                    await FireScheduleAsync(script, instance, setting, trigger);
                    continue;
                }

                if (tick.Next(now) is not { } next)
                {
                    return;
                }

                var sleep = next - now;
                await Task.Delay(sleep < ScheduleMaxSleep ? sleep : ScheduleMaxSleep, _time, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Reloaded or shutting down.
        }
    }

    private async Task FireScheduleAsync(string script, string instance, string setting, Trigger trigger)
    {
        Interlocked.Increment(ref _scheduleFired);
        Tally.Fired(TriggerType.Schedule);
        if (!await StartAsync(script, instance, trigger))
        {
            Interlocked.Increment(ref _scheduleSkipped);
            Log.ScheduleSkipped(_logger, script, instance, setting);
        }
    }
}

/// <summary>
/// Which occurrence of a cron schedule is due, read afresh from the wall clock at every wake-up: a step forward
/// over an occurrence runs it once (late), a step back never runs an occurrence a second time.
/// </summary>
internal sealed class ScheduleTick(CronExpression expression, TimeZoneInfo zone)
{
    private DateTime? _target;
    private DateTime? _lastFired;

    /// <summary>True, once, when <paramref name="now"/> has reached the occurrence last returned by <see cref="Next"/>.</summary>
    public bool Due(DateTime now)
    {
        if (_target is not { } target || now < target)
        {
            return false;
        }

        _lastFired = target;
        _target = null;
        return true;
    }

    /// <summary>The next occurrence after <paramref name="now"/> (and after the last one fired), or null if none.</summary>
    public DateTime? Next(DateTime now)
    {
        var from = _lastFired is { } fired && fired > now ? fired : now;
        _target = expression.GetNextOccurrence(from, zone);
        return _target;
    }
}
