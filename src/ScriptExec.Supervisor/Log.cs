using Microsoft.Extensions.Logging;
using ScriptExec.Core;

namespace ScriptExec.Supervisor;

/// <summary>Every log message of the supervisor, source-generated.</summary>
internal static partial class Log
{
    [LoggerMessage(LogEvents.Supervisor.Started, LogLevel.Information, "Execution {Id} started: {Script}/{Instance}, pid {Pid}, trigger {Trigger}")]
    public static partial void Started(ILogger logger, long id, string script, string instance, int pid, string trigger);

    [LoggerMessage(LogEvents.Supervisor.Ended, LogLevel.Information, "Execution {Id} {State} with exit code {ExitCode} after {DurationMs} ms")]
    public static partial void Ended(ILogger logger, long id, string state, int exitCode, long durationMs);

    [LoggerMessage(LogEvents.Supervisor.SpawnFailed, LogLevel.Warning, "Execution {Id} could not be spawned: {Reason}")]
    public static partial void SpawnFailed(ILogger logger, long id, string reason);

    [LoggerMessage(LogEvents.Supervisor.Stopping, LogLevel.Information, "Execution {Id} stopping ({Trigger}), SIGKILL after {GraceSeconds} s")]
    public static partial void Stopping(ILogger logger, long id, string trigger, int graceSeconds);

    [LoggerMessage(LogEvents.Supervisor.GraceExpired, LogLevel.Warning, "Execution {Id} did not end within its grace period; sending SIGKILL to its process group")]
    public static partial void GraceExpired(ILogger logger, long id);

    [LoggerMessage(LogEvents.Supervisor.Recovered, LogLevel.Warning, "Recovered execution {Id} left running by a previous daemon: marked killed (system/recovery), {Killed} leftover processes killed")]
    public static partial void Recovered(ILogger logger, long id, int killed);

    [LoggerMessage(LogEvents.Supervisor.ShuttingDown, LogLevel.Information, "Shutdown: stopping {Count} running executions")]
    public static partial void ShuttingDown(ILogger logger, int count);

    [LoggerMessage(LogEvents.Supervisor.TriggerFailed, LogLevel.Warning, "Trigger {Setting} could not start or stop {Script}/{Instance}: {Reason}")]
    public static partial void TriggerFailed(ILogger logger, string script, string instance, string setting, string reason);

    [LoggerMessage(LogEvents.Supervisor.ScheduleSkipped, LogLevel.Information, "Schedule {Setting} of {Script}/{Instance}: tick skipped, still running")]
    public static partial void ScheduleSkipped(ILogger logger, string script, string instance, string setting);

    [LoggerMessage(LogEvents.Supervisor.Pruned, LogLevel.Information, "Retention pruned {Executions} executions and {Lines} output lines")]
    public static partial void Pruned(ILogger logger, long executions, long lines);

    [LoggerMessage(LogEvents.Supervisor.RetentionFailed, LogLevel.Error, "Retention pass failed; the next pass tries again")]
    public static partial void RetentionFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogEvents.Supervisor.StateTreeQuarantined, LogLevel.Warning, "The stored state tree was only partly loadable; the original is kept in the quarantined_rows table (id {QuarantineId})")]
    public static partial void StateTreeQuarantined(ILogger logger, long quarantineId);

    [LoggerMessage(LogEvents.Supervisor.StateTreeQuarantineFailed, LogLevel.Warning, "The stored state tree was only partly loadable and could not be set aside yet ({Reason}); the next state_set does it")]
    public static partial void StateTreeQuarantineFailed(ILogger logger, string reason);

    [LoggerMessage(LogEvents.Supervisor.CgroupsOn, LogLevel.Information, "Executions run in their own cgroup under {Root}")]
    public static partial void CgroupsOn(ILogger logger, string root);

    [LoggerMessage(LogEvents.Supervisor.CgroupsOff, LogLevel.Information, "Executions run without a cgroup ({Reason}); their processes are found by process group and environment")]
    public static partial void CgroupsOff(ILogger logger, string reason);

    [LoggerMessage(LogEvents.Supervisor.HeldSpawnOn, LogLevel.Information, "Cgroups, rlimits and niceness are applied to each script before its exec, through FIFOs in {Directory}")]
    public static partial void HeldSpawnOn(ILogger logger, string directory);

    [LoggerMessage(LogEvents.Supervisor.HeldSpawnOff, LogLevel.Information, "Cgroups, rlimits and niceness are applied through exec steps ({Reason})")]
    public static partial void HeldSpawnOff(ILogger logger, string reason);

    [LoggerMessage(LogEvents.Supervisor.OutcomeNotRecorded, LogLevel.Warning, "Execution {Id}: its outcome could not be put at {Path} in the state tree: {Reason}")]
    public static partial void OutcomeNotRecorded(ILogger logger, long id, string path, string reason);

    [LoggerMessage(LogEvents.Supervisor.RestartScheduled, LogLevel.Information, "{Script}/{Instance}: execution {Id} ended; restart {Consecutive} in {DelaySeconds} s")]
    public static partial void RestartScheduled(ILogger logger, string script, string instance, long id, double delaySeconds, int consecutive);

    [LoggerMessage(LogEvents.Supervisor.RestartGaveUp, LogLevel.Warning, "{Script}/{Instance}: gave up restarting after {Restarts} restarts within {WindowSeconds} s; start it to try again")]
    public static partial void RestartGaveUp(ILogger logger, string script, string instance, int restarts, int windowSeconds);

    [LoggerMessage(LogEvents.Supervisor.RestartFailed, LogLevel.Information, "{Script}/{Instance}: restart not started: {Reason}")]
    public static partial void RestartFailed(ILogger logger, string script, string instance, string reason);

    [LoggerMessage(LogEvents.Supervisor.StartQueued, LogLevel.Information, "{Script}/{Instance}: trigger {Trigger} fired while it runs; queued until the run ends")]
    public static partial void StartQueued(ILogger logger, string script, string instance, string trigger);

    [LoggerMessage(LogEvents.Supervisor.TickMissed, LogLevel.Information, "Schedule {Setting} of {Script}/{Instance}: the tick of {Tick:u} fell while the daemon was down; {Decision}")]
    public static partial void TickMissed(ILogger logger, string script, string instance, string setting, DateTime tick, string decision);

    [LoggerMessage(LogEvents.Supervisor.LeftoversKilled, LogLevel.Information, "Execution {Id}: {Killed} leftover processes killed after its main process ended")]
    public static partial void LeftoversKilled(ILogger logger, long id, int killed);

    [LoggerMessage(LogEvents.Supervisor.RebootUntracked, LogLevel.Warning, "@reboot of {Script}/{Instance}: cannot tell which boot it last ran for ({Reason}); at daemon start it runs rather than risk missing a boot")]
    public static partial void RebootUntracked(ILogger logger, string script, string instance, string reason);

    [LoggerMessage(LogEvents.Supervisor.SecretTooShortToMask, LogLevel.Warning, "Execution {Id}: the secret env entries {Names} are shorter than {MinLength} characters and are not masked in its output")]
    public static partial void SecretTooShortToMask(ILogger logger, long id, string names, int minLength);

    [LoggerMessage(LogEvents.Supervisor.ControllersFound, LogLevel.Information, "Instance limits memory_mb, pids and cpu_percent go through the cgroup controllers: {Controllers}")]
    public static partial void ControllersFound(ILogger logger, string controllers);

    [LoggerMessage(LogEvents.Supervisor.OomKilled, LogLevel.Warning, "Execution {Id}: the OOM killer ended {Count} of its processes (memory_mb)")]
    public static partial void OomKilled(ILogger logger, long id, long count);

    [LoggerMessage(LogEvents.Supervisor.LimitUnenforceable, LogLevel.Warning, "{Script}/{Instance}: the limits {Limits} cannot be enforced on this machine ({Controllers}); its runs go without them")]
    public static partial void LimitUnenforceable(ILogger logger, string script, string instance, string limits, string controllers);

    [LoggerMessage(LogEvents.Supervisor.DefaultLimitUnenforceable, LogLevel.Warning, "The default limits {Limits} cannot be enforced on this machine ({Controllers}); runs go without them")]
    public static partial void DefaultLimitUnenforceable(ILogger logger, string limits, string controllers);
}
