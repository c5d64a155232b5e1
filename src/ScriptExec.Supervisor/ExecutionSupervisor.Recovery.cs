using ScriptExec.Core;
using ScriptExec.Store;
using ScriptExec.Supervisor.Processes;

namespace ScriptExec.Supervisor;

/// <summary>Start-up recovery of executions a crashed daemon left running.</summary>
public sealed partial class ExecutionSupervisor
{
    /// <summary>
    /// Marks every execution left running or terminating as killed with stop trigger system/recovery, and kills every
    /// process of theirs that is still alive, whatever the moment of the crash: the recorded session (only on the same
    /// boot, and only if the pid was not reused), the execution's cgroup, and every process whose environment carries
    /// the execution's id (which also finds processes that left the session, and those of a run whose pid was never
    /// recorded). Returns once they are gone; runs before the daemon serves anything. Returns how many executions
    /// were recovered.
    /// </summary>
    public int Recover()
    {
        var active = _executions.ListActive();
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        // Before anything is killed: a zombie leader died by itself while we were down (and is not reaped yet).
        var leaderAlive = active.ToDictionary(e => e.Id, e =>
            e.Pid is { } pid && e.BootId == _bootId && e.ProcStartTime is { } started && started != 0
            && ProcStat.TryRead(pid, out var stat) && !stat.IsZombie && stat.StartTime == started);

        // Cgroups of executions that are no longer active are swept too: a crash between the cgroup's creation and
        // the spawn, or a run that outlived a shutdown, leaves one behind, and nothing of this daemon may run in it.
        var ids = new HashSet<long>(active.Select(e => e.Id));
        ids.UnionWith(_reaper.Cgroups?.Existing() ?? []);
        ids.UnionWith(_reaper.Controllers.Existing());
        var killed = _reaper.KillAll(ids, scanEnvironment: true).ToDictionary();
        foreach (var execution in active)
        {
            // The recorded session catches what a daemon without the environment marker started (before an upgrade).
            if (execution.Pid is { } pid && execution.BootId is { } bootId && bootId == _bootId)
            {
                killed[execution.Id] += ProcessRecovery.KillSession(pid, bootId, execution.ProcStartTime ?? 0);
            }
        }

        foreach (var execution in active)
        {
            // Killed now by us: its fate is known (SIGKILL). Already gone: unknown, so no exit code.
            var end = new ExecutionEnd(
                ExecutionState.Killed,
                leaderAlive[execution.Id] ? -Signals.SIGKILL : null,
                Math.Max(0, now - execution.StartTimestamp) * 1000,
                Trigger.System(Trigger.RecoveryCause),
                false,
                now);
            try
            {
                _executions.Finish(execution.Id, end);
            }
            catch (Exception e) when (IsStoreFailure(e))
            {
                // A full disk must not keep the daemon from starting: its processes are gone, the end is stored once
                // the store accepts it, and the instance stays reserved until then.
                Log.RecordPending(_logger, execution.Id, "end", e.Message);
                DeferRecoveredEnd(execution, end);
            }

            Log.Recovered(_logger, execution.Id, killed[execution.Id]);
        }

        if (active.Count > 0)
        {
            Interlocked.Increment(ref _changeVersion);
            Statistics.Reload();
        }

        return active.Count;
    }

    private void DeferRecoveredEnd(ActiveExecution execution, ExecutionEnd end)
    {
        var entry = new RunningExecution(execution.ScriptName, execution.InstanceName, stopGraceSeconds: 0)
        {
            Id = execution.Id,
            StartTimestamp = execution.StartTimestamp,
            State = execution.State,
            StoredState = execution.State,
            PendingEnd = end,
            EndDeferred = true,
            Ended = true,
        };
        _running[(execution.ScriptName, execution.InstanceName)] = entry;
        entry.Monitor = RecordEndAsync(entry);
    }
}
