using ScriptExec.Core;
using ScriptExec.Store;
using ScriptExec.Supervisor.Processes;

namespace ScriptExec.Supervisor;

/// <summary>Start-up recovery of executions a crashed daemon left running.</summary>
public sealed partial class ExecutionSupervisor
{
    /// <summary>
    /// Marks every execution left running or terminating as killed with stop trigger system/recovery, and kills
    /// what is left of its process session (only on the same boot, and only if the pid was not reused).
    /// Runs before the daemon serves anything. Returns how many executions were recovered.
    /// </summary>
    public int Recover()
    {
        var active = _executions.ListActive();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        foreach (var execution in active)
        {
            var killed = 0;
            var leaderAlive = false;
            if (execution.Pid is { } pid && execution.BootId is { } bootId && bootId == _bootId)
            {
                // A zombie leader died by itself while we were down (and is not reaped yet): not killed by us.
                leaderAlive = execution.ProcStartTime is { } started && started != 0
                    && ProcStat.TryRead(pid, out var stat) && !stat.IsZombie && stat.StartTime == started;
                killed = ProcessRecovery.KillSession(pid, bootId, execution.ProcStartTime ?? 0);
            }

            // Killed now by us: its fate is known (SIGKILL). Already gone: unknown, so no exit code.
            _executions.Finish(execution.Id, new ExecutionEnd(
                ExecutionState.Killed,
                leaderAlive ? -Signals.SIGKILL : null,
                Math.Max(0, now - execution.StartTimestamp) * 1000,
                Trigger.System(Trigger.RecoveryCause),
                false,
                now));
            Log.Recovered(_logger, execution.Id, killed);
        }

        if (active.Count > 0)
        {
            Interlocked.Increment(ref _changeVersion);
            Statistics.Reload();
        }

        return active.Count;
    }
}
