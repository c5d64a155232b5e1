using ScriptExec.Core;
using ScriptExec.Store;
using ScriptExec.Supervisor.Processes;

namespace ScriptExec.Supervisor;

/// <summary>The parts of the supervisor that follow a running process: reservation, stop, timeout, end record.</summary>
public sealed partial class ExecutionSupervisor
{
    // Shell conventions for a command that could not be run.
    private const int ExitCommandNotFound = 127;

    private RunningExecution Reserve(InstanceDefinition instance)
    {
        var key = (instance.ScriptName, instance.InstanceName);
        var entry = new RunningExecution(instance.ScriptName, instance.InstanceName, instance.StopGraceSeconds);
        lock (_reserveLock)
        {
            if (_running.ContainsKey(key))
            {
                entry.Dispose();
                throw new ScriptExecException(ErrorKind.AlreadyRunning,
                    $"instance '{instance.InstanceName}' of script '{instance.ScriptName}' is already running");
            }

            if (_running.Count >= _options.MaxConcurrentExecutions)
            {
                entry.Dispose();
                throw new ScriptExecException(ErrorKind.Capacity,
                    $"the limit of {_options.MaxConcurrentExecutions} concurrent executions is reached");
            }

            _running[key] = entry;
        }

        return entry;
    }

    private void Release(RunningExecution entry)
    {
        _running.TryRemove(new KeyValuePair<(string, string), RunningExecution>((entry.ScriptName, entry.InstanceName), entry));
    }

    private ProcessStartSpec BuildSpec(
        ScriptDefinition script, InstanceDefinition instance, string path, IReadOnlyList<string> argv, long executionId, Trigger trigger)
    {
        var (executable, arguments) = ScriptFiles.CommandLine(script.Source, path, argv);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["PATH"] = _options.ScriptPath };
        foreach (var (name, value) in instance.Environment.Concat(instance.SecretEnvironment))
        {
            environment[name] = value;
        }

        environment["SCRIPTEXEC_EXECUTION_ID"] = executionId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["SCRIPTEXEC_SCRIPT"] = script.Name;
        environment["SCRIPTEXEC_INSTANCE"] = instance.InstanceName;
        environment["SCRIPTEXEC_TRIGGER"] = trigger.Type.ToWire();
        if (instance.User is { } user)
        {
            (executable, arguments) = RunAs.Wrap(user, executable, arguments, environment);
        }

        return new ProcessStartSpec(
            executable,
            arguments,
            environment,
            instance.WorkingDirectory ?? _options.DefaultWorkingDirectory,
            new OutputCaptureOptions(_options.OutputLineCapBytes, _options.OutputMaxBytesPerExecution));
    }

    private async Task RecordSpawnFailureAsync(RunningExecution entry, ExecutionOutputSink sink, string reason)
    {
        Log.SpawnFailed(_logger, entry.Id, reason);
        sink.OnLine(OutputStream.Stderr, "scriptexecd: " + reason, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        sink.OnEnd();
        await _output.FlushAsync(CancellationToken.None);
        await _executions.FinishAsync(entry.Id, new ExecutionEnd(
            ExecutionState.Finished, ExitCommandNotFound, 0, null, false, DateTimeOffset.UtcNow.ToUnixTimeSeconds()), CancellationToken.None,
            () => Statistics.Ended(ExecutionState.Running, ExecutionState.Finished, ExitCommandNotFound, 0));
        entry.Ended = true;
        Release(entry);
        entry.Dispose();
        Changed(entry.Id);
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
                await _executions.MarkTerminatingAsync(entry.Id, trigger, CancellationToken.None, Statistics.Terminating);
                entry.State = ExecutionState.Terminating;
                Log.Stopping(_logger, entry.Id, trigger.Setting ?? trigger.Type.ToWire(), force ? 0 : entry.StopGraceSeconds);
                process.SignalGroup(force ? Signals.SIGKILL : Signals.SIGTERM);
                if (!force)
                {
                    _ = KillAfterGraceAsync(entry, process);
                }
            }
            else if (force)
            {
                process.SignalGroup(Signals.SIGKILL);
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

        Changed(entry.Id);
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
            await _output.FlushAsync(CancellationToken.None);
            var state = outcome.Signaled ? ExecutionState.Killed : ExecutionState.Finished;
            var from = entry.State;
            await _executions.FinishAsync(entry.Id, new ExecutionEnd(
                state, outcome.ExitCode, outcome.DurationMs, null, sink.Truncated, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), sink.StoredBytes),
                CancellationToken.None,
                () => Statistics.Ended(from, state, outcome.ExitCode, outcome.DurationMs));
            Log.Ended(_logger, entry.Id, state.ToWire(), outcome.ExitCode, outcome.DurationMs);
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException)
        {
            // The row stays running; the next start-up's recovery pass closes it.
            Log.RecordFailed(_logger, e, entry.Id);
        }
        finally
        {
            entry.Ended = true;
            await entry.Lifetime.CancelAsync();
            Release(entry);
            entry.Gate.Release();
        }

        Changed(entry.Id);
        entry.Dispose();
    }

    private Execution Changed(long id)
    {
        Interlocked.Increment(ref _changeVersion);
        var execution = _executions.Get(id)!;
        Dispatcher.PublishChange(execution);
        ExecutionChanged?.Invoke(execution);
        return execution;
    }
}
