using ScriptExec.Core;

namespace ScriptExec.Supervisor;

/// <summary>
/// Who holds an instance: a run (from its reservation until its end record is committed) or a catalog change that
/// must not race a start (deleting the instance or its script). All of it under one lock.
/// </summary>
public sealed partial class ExecutionSupervisor
{
    private readonly List<CatalogHold> _holds = [];
    private long _catalogVersion;

    /// <summary>
    /// Changes whenever a catalog hold is taken or released. A start reads it before it reads the instance and is
    /// refused a reservation when it changed since, so it never runs a definition deleted in between.
    /// </summary>
    public long CatalogVersion
    {
        get
        {
            lock (_reserveLock)
            {
                return _catalogVersion;
            }
        }
    }

    /// <summary>
    /// Holds an instance (or, with a null <paramref name="instanceName"/>, every instance of a script) against
    /// starts until disposed: the caller changes the catalog meanwhile. Refused with conflict while one of them runs.
    /// Starts that arrive during the hold wait for it and then read the catalog again.
    /// </summary>
    public IDisposable Hold(string scriptName, string? instanceName)
    {
        lock (_reserveLock)
        {
            // A run whose end record is committing has ended: readers may already see it so.
            var running = _running.Values.FirstOrDefault(e => e.EndCommit is null && e.ScriptName == scriptName
                && (instanceName is null || e.InstanceName == instanceName));
            if (running is not null)
            {
                throw new ScriptExecException(ErrorKind.Conflict, instanceName is null
                    ? $"script '{scriptName}' has a running instance; stop it first"
                    : $"instance '{instanceName}' of script '{scriptName}' is running; stop it first");
            }

            var hold = new CatalogHold(this, scriptName, instanceName);
            _holds.Add(hold);
            _catalogVersion++;
            return hold;
        }
    }

    /// <summary>
    /// Reserves the instance for a new execution; null when the catalog changed since <paramref name="catalogVersion"/>
    /// (the caller reads the instance again). An execution whose end record is committing right now does not count:
    /// whoever read it as ended may start the instance at once, so the start waits for that commit and proceeds if
    /// it succeeded (had it failed, the row still says running and the instance stays reserved).
    /// </summary>
    private async Task<RunningExecution?> ReserveAsync(InstanceDefinition instance, long catalogVersion)
    {
        var key = (instance.ScriptName, instance.InstanceName);
        while (true)
        {
            Task ending;
            lock (_reserveLock)
            {
                if (_catalogVersion != catalogVersion)
                {
                    return null;
                }

                if (_holds.Find(h => h.Covers(instance.ScriptName, instance.InstanceName)) is { } hold)
                {
                    ending = hold.Released.Task;
                }
                else if (_running.TryGetValue(key, out var existing))
                {
                    ending = existing.EndCommit?.Task ?? throw new ScriptExecException(ErrorKind.AlreadyRunning,
                        $"instance '{instance.InstanceName}' of script '{instance.ScriptName}' is already running");
                }
                else if (_running.Count >= _options.MaxConcurrentExecutions)
                {
                    ending = _running.Values.FirstOrDefault(e => e.EndCommit is not null)?.EndCommit!.Task
                        ?? throw new ScriptExecException(ErrorKind.Capacity,
                            $"the limit of {_options.MaxConcurrentExecutions} concurrent executions is reached");
                }
                else
                {
                    var entry = new RunningExecution(instance.ScriptName, instance.InstanceName, instance.StopGraceSeconds);
                    _running[key] = entry;
                    return entry;
                }
            }

            await ending;
        }
    }

    private void Release(RunningExecution entry)
    {
        _running.TryRemove(new KeyValuePair<(string, string), RunningExecution>((entry.ScriptName, entry.InstanceName), entry));
    }

    /// <summary>Inside the end record's transaction, just before its commit: from here on the run no longer holds its instance.</summary>
    private void EndCommitting(RunningExecution entry)
    {
        lock (_reserveLock)
        {
            entry.EndCommit ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>The end record is committed: the instance is free, and starts waiting on the commit go ahead.</summary>
    private void EndCommitted(RunningExecution entry)
    {
        lock (_reserveLock)
        {
            Release(entry);
        }

        entry.EndCommit?.TrySetResult();
    }

    /// <summary>The store refused the end record: the row still says running, so the instance stays reserved.</summary>
    private void EndCommitFailed(RunningExecution entry)
    {
        TaskCompletionSource? commit;
        lock (_reserveLock)
        {
            commit = entry.EndCommit;
            entry.EndCommit = null;
        }

        commit?.TrySetResult();
    }

    /// <summary>A catalog change in progress on one instance or a whole script.</summary>
    private sealed class CatalogHold(ExecutionSupervisor owner, string scriptName, string? instanceName) : IDisposable
    {
        public TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Covers(string script, string instance) => script == scriptName && (instanceName is null || instance == instanceName);

        public void Dispose()
        {
            lock (owner._reserveLock)
            {
                if (!owner._holds.Remove(this))
                {
                    return;
                }

                // Starts that read the catalog during the hold read it again: it may have changed under them.
                owner._catalogVersion++;
            }

            Released.TrySetResult();
        }
    }
}
