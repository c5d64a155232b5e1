using ScriptExec.Core;
using ScriptExec.Store;
using ScriptExec.Supervisor.Processes;

namespace ScriptExec.Supervisor;

/// <summary>
/// The start of a run. Where a child can be held before its exec (<see cref="ExecutionReaper.Gates"/>), the start is
/// one write: spawn held, record the start with its pid, let it exec. A crash before the commit leaves a held child
/// that never ran anything (the next start kills it, <see cref="SpawnGates.Create"/>) and no row; after it, a row
/// whose process recovery finds by pid, cgroup and environment. Elsewhere the start record is committed before the
/// spawn and the pid after it, so that no process ever runs unrecorded.
/// </summary>
public sealed partial class ExecutionSupervisor
{
    /// <summary>
    /// Starts an instance as <paramref name="runnable"/> describes it (read by the caller, secrets included).
    /// <paramref name="argumentsOverride"/> replaces the instance's arguments for this run. Null when the catalog
    /// changed since <paramref name="catalogVersion"/> was read: the caller reads the instance again.
    /// </summary>
    public async Task<Execution?> StartAsync(RunnableInstance runnable, Trigger trigger, string? argumentsOverride, long catalogVersion)
    {
        var (script, instance) = runnable;

        // An override replaces the instance's arguments even when empty; nothing is recorded for no arguments.
        var arguments = argumentsOverride ?? instance.Arguments;
        if (string.IsNullOrEmpty(arguments))
        {
            arguments = null;
        }

        IReadOnlyList<string> argv;
        try
        {
            argv = ArgumentSplitter.Split(arguments);
        }
        catch (FormatException e)
        {
            throw new InvalidParameterException("arguments", e.Message);
        }

        // A caller is told at once and nothing is recorded; a trigger has nobody to tell, so its run is recorded as failed.
        var unspawnable = SpawnInputs.Problem(instance, arguments);
        if (unspawnable is { } refused && trigger.Type == TriggerType.Manual)
        {
            throw new InvalidParameterException(refused.Field, refused.Reason + " (as stored for this instance or execution)");
        }

        if (await ReserveAsync(instance, catalogVersion) is not { } entry)
        {
            return null;
        }

        await entry.Gate.WaitAsync(CancellationToken.None);

        // Once the start record exists, only the end record releases the instance: never left running, never twice.
        var run = new StartingRun(entry, script, instance, trigger, arguments, argv);
        try
        {
            // From here on the caller's cancellation is ignored: a half-recorded start is worse than a late reply.
            run.Path = MaterializeScript(script, instance);
            entry.StartTimestamp = _time.GetUtcNow().ToUnixTimeSeconds();
            if (unspawnable is { } stored)
            {
                await RecordStartAsync(run, null);
                return await RecordSpawnFailureAsync(entry, run.Sink!, new ProcessStartException($"cannot run: {stored.Field} {stored.Reason}"));
            }

            if ((_reaper.Gates is null ? await StartRecordedFirstAsync(run) : await StartHeldAsync(run)) is { } failed)
            {
                return failed;
            }

            Log.Started(_logger, entry.Id, entry.ScriptName, entry.InstanceName, entry.Process!.Pid, trigger.Type.ToWire());
            if (instance.TimeoutSeconds is { } timeout)
            {
                _ = StopAfterTimeoutAsync(entry, TimeSpan.FromSeconds(timeout));
            }
        }
        catch when (!run.Recorded)
        {
            // Nothing runs and nothing is recorded (a held child was killed before its exec): as if never started.
            if (entry.Id != 0)
            {
                Tokens.Revoke(entry.Id);
                _reaper.RemoveCgroups(entry.Id);
            }

            Release(entry);
            throw;
        }
        finally
        {
            entry.Gate.Release();
        }

        return Changed(entry);
    }

    /// <summary>
    /// Spawns held, records the start with the pid in one transaction, then lets the script exec. Null when it runs;
    /// else the run recorded as failed to spawn.
    /// </summary>
    private async Task<Execution?> StartHeldAsync(StartingRun run)
    {
        var entry = run.Entry;
        using var ticket = _executions.Starts.Take();
        entry.Id = ticket.Id;
        run.Sink = new ExecutionOutputSink(_output, Dispatcher) { ExecutionId = entry.Id };
        PendingSpawn pending;
        try
        {
            pending = ProcessLauncher.Begin(Spec(run), run.Sink);
        }
        catch (Exception e)
        {
            // Nothing of the script ran. Recorded as a run that could not be started (exit 127), as where the record
            // comes first: a trigger's run leaves a trace, a caller gets the execution with its stderr line.
            await RecordStartAsync(run, ticket);
            return await RecordSpawnFailureAsync(entry, run.Sink, e);
        }

        try
        {
            await RecordStartAsync(run, ticket, new StartedProcess(pending.Pid, pending.ProcStartTime, _bootId));
        }
        catch
        {
            // The store refused the record: the held child dies before its exec, and the caller hears why.
            pending.Abandon();
            throw;
        }

        CrashSwitch.Reached(CrashPoint.PidCommitted);
        try
        {
            entry.Process = pending.Proceed();
        }
        catch (Exception e)
        {
            return await RecordSpawnFailureAsync(entry, run.Sink, e);
        }

        CrashSwitch.Reached(CrashPoint.Spawned);
        Followed(run);
        return null;
    }

    /// <summary>The start record, then the spawn, then the pid: where no child can be held. Null when it runs.</summary>
    private async Task<Execution?> StartRecordedFirstAsync(StartingRun run)
    {
        var entry = run.Entry;
        await RecordStartAsync(run, null);
        try
        {
            entry.Process = ProcessLauncher.Start(Spec(run), run.Sink!);
            CrashSwitch.Reached(CrashPoint.Spawned);
        }
        catch (Exception e)
        {
            // Whatever fails between the start record and a running process ends the execution (exit 127).
            return await RecordSpawnFailureAsync(entry, run.Sink!, e);
        }

        Followed(run);
        await PersistProcessAsync(entry, entry.Process);
        CrashSwitch.Reached(CrashPoint.PidCommitted);
        return null;
    }

    /// <summary>
    /// Commits the start record (with <paramref name="process"/> when it exists already); without a ticket the id is
    /// taken here. From then on the run is known from memory.
    /// </summary>
    private async Task RecordStartAsync(StartingRun run, StartTicket? ticket, StartedProcess? process = null)
    {
        var entry = run.Entry;
        var record = new NewExecution(
            entry.ScriptName, entry.InstanceName, run.Script.Version, entry.StartTimestamp, run.Trigger, run.Arguments);
        if (ticket is null)
        {
            entry.Id = await _executions.InsertStartedAsync(record, CancellationToken.None, Statistics.Started);
        }
        else
        {
            await _executions.InsertStartedAsync(ticket, record, process, CancellationToken.None, Statistics.Started);
        }

        run.Recorded = true;
        _metrics?.ExecutionStarted(entry.ScriptName, entry.InstanceName, run.Trigger.Type);
        entry.Started = new Execution
        {
            Id = entry.Id,
            ScriptName = entry.ScriptName,
            InstanceName = entry.InstanceName,
            ScriptVersion = run.Script.Version,
            StartTimestamp = entry.StartTimestamp,
            StartTrigger = run.Trigger,
            State = ExecutionState.Running,
            Arguments = run.Arguments,
        };
        run.Sink ??= new ExecutionOutputSink(_output, Dispatcher) { ExecutionId = entry.Id };
        CrashSwitch.Reached(CrashPoint.StartRowCommitted);
    }

    /// <summary>The spec of the run, its cgroups made and joined; throws when a limit cannot be set up.</summary>
    private ProcessStartSpec Spec(StartingRun run)
    {
        var entry = run.Entry;
        var built = BuildSpec(run.Script, run.Instance, run.Path!, run.Argv, entry.Id, run.Trigger, out var limits);
        WarnUnenforceable(run.Instance, limits);
        var spec = _reaper.Prepare(entry.Id, built, limits, out var confined);
        entry.Confined = confined;
        return spec;
    }

    /// <summary>The process runs: followed before anything else can fail, so the monitor records the end whatever happens.</summary>
    private void Followed(StartingRun run)
    {
        // After the spawn, not before: nothing but the spawn belongs between start record and process.
        Workdirs?.Started(run.Entry.ScriptName, run.Entry.InstanceName);
        run.Entry.Monitor = MonitorAsync(run.Entry, run.Sink!);
    }

    /// <summary>What a start carries from step to step.</summary>
    private sealed class StartingRun(
        RunningExecution entry, ScriptDefinition script, InstanceDefinition instance, Trigger trigger, string? arguments, IReadOnlyList<string> argv)
    {
        public RunningExecution Entry { get; } = entry;

        public ScriptDefinition Script { get; } = script;

        public InstanceDefinition Instance { get; } = instance;

        public Trigger Trigger { get; } = trigger;

        public string? Arguments { get; } = arguments;

        public IReadOnlyList<string> Argv { get; } = argv;

        public string? Path { get; set; }

        public ExecutionOutputSink? Sink { get; set; }

        /// <summary>The start record is committed: from now on only the end record releases the instance.</summary>
        public bool Recorded { get; set; }
    }
}
