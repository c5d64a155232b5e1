using ScriptExec.Core;
using ScriptExec.Store;
using ScriptExec.Supervisor.Processes;
using ScriptExec.Supervisor.Runtime;

namespace ScriptExec.Supervisor;

/// <summary>The parts of the supervisor that follow a running process: stop, timeout, end record.</summary>
public sealed partial class ExecutionSupervisor
{
    // Shell conventions for a command that could not be run.
    private const int ExitCommandNotFound = 127;

    // The user scripts run as when their instance names none.
    private static readonly string DaemonUser = UnixAccounts.NameOf(UnixAccounts.EffectiveUserId());

    private ProcessStartSpec BuildSpec(
        ScriptDefinition script, InstanceDefinition instance, string path, IReadOnlyList<string> argv, long executionId, Trigger trigger, out ResourceLimits limits)
    {
        var (executable, arguments) = ScriptFiles.CommandLine(script.Source, path, argv);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["PATH"] = _options.ScriptPath };
        foreach (var (name, value) in instance.Environment.Concat(instance.SecretEnvironment))
        {
            environment[name] = value;
        }

        environment[EnvironmentScan.ExecutionIdVariable] = executionId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment[EnvironmentScan.DaemonKeyVariable] = _reaper.DaemonKey;
        environment["SCRIPTEXEC_SCRIPT"] = script.Name;
        environment["SCRIPTEXEC_INSTANCE"] = instance.InstanceName;
        environment["SCRIPTEXEC_TRIGGER"] = trigger.Type.ToWire();
        var workdir = Workdirs?.Ensure(script.Name, instance.InstanceName, instance.User);
        var workingDirectory = instance.WorkingDirectory ?? workdir ?? _options.DefaultWorkingDirectory;
        if (instance.User is { } user)
        {
            (executable, arguments) = RunAs.Wrap(user, workingDirectory, executable, arguments, environment);
            workingDirectory = RunAs.SpawnDirectory;
        }

        // Outermost, so the limits are set while still root: the script, once another user, cannot raise them. The
        // workdir's quota (a per-file size limit) applies where the workdir is where the script works.
        limits = ResourceLimits.Resolve(
            instance.Limits, _options.DefaultLimits, instance.WorkingDirectory is null && workdir is not null ? _options.WorkdirQuotaMb : null);
        // Held before its exec, the child gets them by prlimit(2)/setpriority(2), without an exec step of its own; it
        // is held even with nothing to apply, so its start is recorded with its pid before it runs (one transaction).
        var held = _reaper.Gates is { } gates ? new ChildSetup([], limits, gates) : null;
        if (!limits.IsUnlimited && held is null)
        {
            (executable, arguments) = _limits.Wrap(limits, executable, arguments);
        }

        return new ProcessStartSpec(
            executable,
            arguments,
            environment,
            workingDirectory,
            CaptureOptions(instance, executionId))
        {
            Setup = held,
            StdinPayload = RunPayload.Write(new RunPayload(
                executionId,
                script.Name,
                instance.InstanceName,
                instance.User ?? DaemonUser,
                workdir,
                Tokens.Issue(executionId, instance.User ?? DaemonUser, instance.Role),
                _options.ControlSocketPath,
                _options.ControlUrl)),
        };
    }

    private async Task<Execution> RecordSpawnFailureAsync(RunningExecution entry, ExecutionOutputSink sink, Exception failure)
    {
        // An unexpected failure's message may name internals: it goes to the log, the run's stderr gets a plain line.
        var reason = failure is ProcessStartException ? failure.Message : "the process could not be started";
        if (failure is ProcessStartException)
        {
            Log.SpawnFailed(_logger, entry.Id, reason);
        }
        else
        {
            Log.StartFailed(_logger, failure, entry.Id);
        }

        Tokens.Revoke(entry.Id);
        sink.OnLine(OutputStream.Stderr, "scriptexecd: " + reason, _time.GetUtcNow().ToUnixTimeMilliseconds());
        sink.OnEnd();
        await _output.FlushAsync(CancellationToken.None);
        _reaper.RemoveCgroups(entry.Id);
        var (truncated, storedBytes) = sink.Settle();
        entry.PendingEnd = new ExecutionEnd(
            ExecutionState.Finished, ExitCommandNotFound, 0, null, truncated, _time.GetUtcNow().ToUnixTimeSeconds(), storedBytes);
        entry.Ended = true;

        // Stored now, or later in the background if the store refuses it (the instance stays reserved meanwhile).
        entry.Monitor = RecordEndAsync(entry);
        entry.Dispose();
        return Known(entry);
    }

    private async Task<bool> StopEntryAsync(RunningExecution entry, Trigger trigger, bool force, CancellationToken cancellationToken)
    {
        await entry.Gate.WaitAsync(cancellationToken);
        try
        {
            if (entry.Ended || entry.Process is not { } process)
            {
                return false;
            }

            if (entry.State == ExecutionState.Running)
            {
                // Signal first: stopping never depends on a write, or a full disk would keep a runaway script running.
                entry.State = ExecutionState.Terminating;
                entry.StopTrigger = trigger;
                Log.Stopping(_logger, entry.Id, trigger.Setting ?? trigger.Type.ToWire(), force ? 0 : entry.StopGraceSeconds);
                process.SignalGroup(force ? Signals.SIGKILL : Signals.SIGTERM);
                if (force)
                {
                    // Reaches processes that left the group, too.
                    _reaper.KillCgroupNow(entry.Id);
                }

                CrashSwitch.Reached(CrashPoint.Signalled);
                if (!force)
                {
                    _ = KillAfterGraceAsync(entry, process);
                }

                // Held under the gate, so the end record comes after it; if refused, retried until the end supersedes it.
                await PersistTerminatingAsync(entry, trigger);
                CrashSwitch.Reached(CrashPoint.TerminatingCommitted);
            }
            else if (force)
            {
                process.SignalGroup(Signals.SIGKILL);
                _reaper.KillCgroupNow(entry.Id);
                return true;
            }
            else
            {
                return true;
            }
        }
        finally
        {
            entry.Gate.Release();
        }

        Changed(entry);
        return true;
    }

    private async Task KillAfterGraceAsync(RunningExecution entry, SpawnedProcess process)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(entry.StopGraceSeconds), entry.Lifetime.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        Log.GraceExpired(_logger, entry.Id);
        process.SignalGroup(Signals.SIGKILL);
        _reaper.KillCgroupNow(entry.Id);
    }

    private async Task StopAfterTimeoutAsync(RunningExecution entry, TimeSpan timeout)
    {
        try
        {
            await Task.Delay(timeout, entry.Lifetime.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        await StopEntryAsync(entry, Trigger.System(Trigger.TimeoutCause), force: false, CancellationToken.None);
    }

    private async Task MonitorAsync(RunningExecution entry, ExecutionOutputSink sink)
    {
        var outcome = await entry.Process!.Completion;
        await entry.Gate.WaitAsync(CancellationToken.None);
        try
        {
            // Nothing of an ended execution may run on: not even what left its process group (the group itself was
            // killed when the main process ended). Its cgroup holds all of it; without one, its environment tells.
            // Read before its cgroups are removed, once the end is recorded (empty by then: nothing can enter them).
            var oomKills = _reaper.OomKills(entry.Id);
            var leftovers = _reaper.KillAll(new HashSet<long> { entry.Id }, scanEnvironment: !entry.Confined, keepCgroups: true)[entry.Id];
            if (leftovers > 0)
            {
                Log.LeftoversKilled(_logger, entry.Id, leftovers);
            }

            await _output.FlushAsync(CancellationToken.None);
            var (truncated, storedBytes) = sink.Settle();
            var state = outcome.Signaled ? ExecutionState.Killed : ExecutionState.Finished;
            Tokens.Revoke(entry.Id);
            if (outcome.Signaled && outcome.Status == Signals.SIGXCPU && entry.StopTrigger is null)
            {
                // Its cpu_s limit ended it (SIGXCPU comes only from the soft limit): a stop the system made.
                entry.StopTrigger = Trigger.System(Trigger.CpuLimitCause);
            }

            if (oomKills > 0)
            {
                // The OOM killer chose the main process (SIGKILL), or a child and the script then failed (a pipeline
                // ends 137): its memory_mb ended the run. A script that handled its child's death and exited 0 was not
                // stopped by anyone; the kill is only logged.
                if (entry.StopTrigger is null && (outcome.Signaled || outcome.ExitCode != 0))
                {
                    entry.StopTrigger = Trigger.System(Trigger.OomCause);
                }

                Log.OomKilled(_logger, entry.Id, oomKills);
            }

            // The stop trigger is carried in the end record: it stands even if terminating was never stored.
            entry.PendingEnd = new ExecutionEnd(
                state, outcome.ExitCode, outcome.DurationMs, entry.StopTrigger, truncated, _time.GetUtcNow().ToUnixTimeSeconds(), storedBytes, sink.DroppedLines);
            entry.Ended = true;
            await entry.Lifetime.CancelAsync();
            Log.Ended(_logger, entry.Id, state.ToWire(), outcome.ExitCode, outcome.DurationMs);
        }
        finally
        {
            entry.Gate.Release();
        }

        // Its run may have changed the workdir: the overview walks it again (Forget comes after the release, so a
        // walk between them cannot keep a size from before the end). Its empty cgroups go after the end is
        // announced, off the way from the script's exit to the caller (a crash before leaves them to the start-up sweep).
        await RecordEndAsync(entry);
        _reaper.RemoveCgroups(entry.Id);
        Workdirs?.Forget(entry.ScriptName, entry.InstanceName);
        entry.Dispose();
    }

    private Execution Changed(RunningExecution entry)
    {
        Interlocked.Increment(ref _changeVersion);
        var execution = Known(entry);
        Dispatcher.PublishChange(execution);
        ExecutionChanged?.Invoke(execution);
        return execution;
    }
}
