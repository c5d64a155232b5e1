using Microsoft.Data.Sqlite;
using ScriptExec.Core;
using ScriptExec.Supervisor.Processes;

namespace ScriptExec.Supervisor;

/// <summary>
/// The records of a running execution (pid, terminating, end) when the store refuses them (full disk, I/O error):
/// what happened is kept in memory and stored later, with a bounded backoff, so that no row stays running after its
/// process is gone. Until its end is stored an instance stays reserved: it never runs beside a row that still says
/// running.
/// </summary>
public sealed partial class ExecutionSupervisor
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>End records known in memory and not yet stored (the store refused them so far).</summary>
    public int PendingEndRecords => _running.Values.Count(e => e.EndDeferred && !e.Recorded);

    private static bool IsStoreFailure(Exception e) => ScriptExecException.IsUnavailable(e) || e is SqliteException or IOException;

    /// <summary>The pid, enough to find the process after a crash; retried if refused, until the end record supersedes it.</summary>
    private async Task PersistProcessAsync(RunningExecution entry, SpawnedProcess process)
    {
        Task Write() => _executions.SetProcessAsync(entry.Id, process.Pid, process.ProcStartTime, _bootId, CancellationToken.None);
        if (!await TryStoreAsync(entry.Id, "pid", Write))
        {
            _ = StoreUntilDoneAsync(entry.Id, "pid", Write, superseded: () => entry.PendingEnd is not null);
        }
    }

    /// <summary>Terminating with its stop trigger, after the signal was sent; the end record supersedes it.</summary>
    private async Task PersistTerminatingAsync(RunningExecution entry, Trigger trigger)
    {
        Task Write() => _executions.MarkTerminatingAsync(entry.Id, trigger, CancellationToken.None, () =>
        {
            entry.StoredState = ExecutionState.Terminating;
            Statistics.Terminating();
        });
        if (!await TryStoreAsync(entry.Id, "terminating", Write))
        {
            _ = StoreUntilDoneAsync(entry.Id, "terminating", Write, superseded: () => entry.PendingEnd is not null);
        }
    }

    /// <summary>Stores <see cref="RunningExecution.PendingEnd"/> however long it takes, then releases the instance.</summary>
    private async Task RecordEndAsync(RunningExecution entry)
    {
        var end = entry.PendingEnd!;
        var outcome = Outcomes?.Ending(new RunOutcome(
            entry.ScriptName, entry.InstanceName, entry.Id, end.State, end.ExitCode, end.EndTimestamp, end.StopTrigger));
        async Task Write()
        {
            try
            {
                await _executions.FinishAsync(
                    entry.Id,
                    end,
                    CancellationToken.None,
                    committed: () =>
                    {
                        // Under the store's write lock, as the terminating record's statistics: StoredState is the store's truth.
                        Statistics.Ended(entry.StoredState, end.State, end.ExitCode, end.DurationMs);
                        entry.Recorded = true;
                    },
                    committing: () =>
                    {
                        CrashSwitch.Reached(CrashPoint.EndCommitting);
                        EndCommitting(entry);
                    },
                    outcome?.Write);
            }
            catch
            {
                EndCommitFailed(entry);
                throw;
            }
        }

        if (!await TryStoreAsync(entry.Id, "end", Write))
        {
            entry.EndDeferred = true;
            await StoreUntilDoneAsync(entry.Id, "end", Write, superseded: () => false);
        }

        EndCommitted(entry);
        _metrics?.ExecutionEnded(entry.ScriptName, entry.InstanceName, end.State, end.ExitCode, end.DurationMs);
        CrashSwitch.Reached(CrashPoint.EndCommitted);
        outcome?.Committed();
        Changed(entry);
    }

    private async Task<bool> TryStoreAsync(long id, string record, Func<Task> write)
    {
        try
        {
            await write();
            return true;
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            Log.RecordPending(_logger, id, record, e.Message);
            return false;
        }
    }

    private async Task StoreUntilDoneAsync(long id, string record, Func<Task> write, Func<bool> superseded)
    {
        var delay = FirstRetryDelay;
        for (var attempt = 2; ; attempt++)
        {
            await Task.Delay(delay, CancellationToken.None);
            if (superseded())
            {
                return;
            }

            try
            {
                await write();
                Log.RecordStored(_logger, id, record, attempt);
                return;
            }
            catch (Exception e) when (IsStoreFailure(e))
            {
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
            catch (ObjectDisposedException)
            {
                // The daemon is closing its store: the next start's recovery closes the row.
                return;
            }
        }
    }

    /// <summary>
    /// The execution as the supervisor knows it, built from memory: the start record as written, then what happened
    /// since (the store may not hold all of it yet). Once the end is recorded it is exactly the stored row.
    /// </summary>
    private Execution Known(RunningExecution entry)
    {
        if (entry.Started is not { } started)
        {
            // An end a recovery left pending: the row is all there is to tell.
            return _executions.Get(entry.Id)!;
        }

        // Ended as memory knows it once the end is stored, or once the store has refused it: in the moment between
        // outcome and end record the running view stands, so nothing reads as ended while the instance is reserved.
        if (entry.PendingEnd is { } end && (entry.Recorded || entry.EndDeferred))
        {
            return started with
            {
                State = end.State,
                ExitCode = end.ExitCode,
                DurationMs = end.DurationMs,

                // As the end record stores it: its own stop trigger, else the one recorded when termination began.
                StopTrigger = end.StopTrigger ?? entry.StopTrigger,
                IsOutdated = entry.Outdated,
                OutputTruncated = end.OutputTruncated,
                OutputDroppedLines = end.OutputDroppedLines,
            };
        }

        return started with
        {
            State = entry.State,
            StopTrigger = entry.State == ExecutionState.Running ? null : entry.StopTrigger,
            Pid = entry.Process?.Pid,
            IsOutdated = entry.Outdated,
            OutputDroppedLines = OutputBudget.DroppedLines(entry.Id),
        };
    }

    /// <summary>A script file that cannot be written for lack of space is the store's condition, reported as 1007.</summary>
    private string MaterializeScript(ScriptDefinition script, InstanceDefinition instance)
    {
        try
        {
            return instance.User is { } user ? _files.MaterializeFor(script, user) : _files.Materialize(script);
        }
        catch (IOException e) when (FaultOf(e) is { } fault)
        {
            throw new ScriptExecException(fault, $"the script file could not be written ({fault.Describe()}); nothing was started", e);
        }
    }

    // On Unix an IOException's HResult is the errno.
    private static StorageFault? FaultOf(IOException e) => e.HResult switch
    {
        28 or 122 => StorageFault.Full, // ENOSPC, EDQUOT
        30 => StorageFault.ReadOnly, // EROFS
        5 => StorageFault.IoError, // EIO
        _ => null,
    };
}
