using Microsoft.Extensions.Logging;
using ScriptExec.Core;
using ScriptExec.Store;

namespace ScriptExec.Supervisor.Workflows;

/// <summary>
/// Start, stop and rerun, as every caller asks for them: each JSON-RPC transport and the triggers. A start reads
/// the script and instance once, holds the reservation from before its start record until its end record, and
/// returns the execution as recorded; errors name what is missing in the words a caller needs.
/// </summary>
public sealed class ExecutionControl : IDisposable
{
    private readonly ScriptStore _scripts;
    private readonly ExecutionStore _executions;
    private readonly ExecutionSupervisor _supervisor;

    public ExecutionControl(
        ScriptStore scripts, ExecutionStore executions, ExecutionSupervisor supervisor, TimeProvider time, ILogger<ExecutionControl> logger)
    {
        _scripts = scripts;
        _executions = executions;
        _supervisor = supervisor;
        Restarts = new InstanceRestarts(scripts, supervisor, time, logger, (s, i, trigger) => StartAsync(s, i, trigger, null, CancellationToken.None));
        Queued = new QueuedStarts(supervisor, logger, (s, i, trigger) => StartAsync(s, i, trigger, null, CancellationToken.None));
    }

    /// <summary>Starts kept for instances with <c>overlap: queue</c> until their run ends.</summary>
    public QueuedStarts Queued { get; }

    /// <summary>The instances' restart policies at work: pending restarts and give-ups.</summary>
    public InstanceRestarts Restarts { get; }

    public void Dispose()
    {
        Restarts.Dispose();
        Queued.Dispose();
    }

    /// <summary>Cancels what is pending for the instance: a restart and a queued start.</summary>
    public void CancelPending(string scriptName, string instanceName)
    {
        Restarts.Cancel(scriptName, instanceName);
        Queued.Cancel(scriptName, instanceName);
    }

    /// <summary>The supervisor the starts and stops go to.</summary>
    internal ExecutionSupervisor Supervisor => _supervisor;

    /// <summary>The execution records, for the trigger engine's look at what ran before the daemon started.</summary>
    internal ExecutionStore Executions => _executions;

    /// <summary>Starts an instance; <paramref name="argumentsOverride"/> replaces its arguments for this run.</summary>
    /// <remarks>The caller's cancellation counts only until the start record is written; after that the start completes.</remarks>
    public async Task<Execution> StartAsync(
        string scriptName, string instanceName, Trigger trigger, string? argumentsOverride, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();

            // Read before the instance: a delete that lands in between changes it, and the start reads again.
            var catalogVersion = _supervisor.CatalogVersion;
            var runnable = Runnable(scriptName, instanceName);
            if (!runnable.Instance.Enabled)
            {
                throw Disabled(scriptName, instanceName);
            }

            if (await _supervisor.StartAsync(runnable, trigger, argumentsOverride, catalogVersion) is { } started)
            {
                if (trigger.Type != TriggerType.Restart)
                {
                    // A start of another kind supersedes a pending restart, and its run begins the restart count afresh.
                    Restarts.Cancel(scriptName, instanceName);
                }

                return started;
            }
        }
    }

    /// <summary>Stops the instance's running execution (SIGTERM, SIGKILL after its grace period or at once when forced).</summary>
    public async Task<Execution> StopAsync(
        string scriptName, string instanceName, Trigger trigger, bool force, CancellationToken cancellationToken)
    {
        // A stop also ends a pending restart or queued start; the run it stops is not restarted (it ends with a stop trigger).
        CancelPending(scriptName, instanceName);
        return await _supervisor.StopAsync(scriptName, instanceName, trigger, force, cancellationToken)
            ?? throw NotRunningOrMissing(scriptName, instanceName);
    }

    /// <summary>Runs a recorded execution's instance again with the arguments it ran with, even if the instance changed since (StackStorm's re-run).</summary>
    public Task<Execution> RerunAsync(long executionId, Trigger trigger, CancellationToken cancellationToken)
    {
        var previous = _executions.Get(executionId)
            ?? throw new ScriptExecException(ErrorKind.NotFound, $"execution {executionId} does not exist");
        return StartAsync(previous.ScriptName, previous.InstanceName, trigger, previous.Arguments ?? string.Empty, cancellationToken);
    }

    private RunnableInstance Runnable(string scriptName, string instanceName) => _scripts.GetRunnable(scriptName, instanceName) switch
    {
        (null, _) => throw Catalog.ScriptMissing(scriptName),
        (_, null) => throw Catalog.InstanceMissing(scriptName, instanceName),
        var (script, instance) => new RunnableInstance(script, instance),
    };

    /// <summary>A start of a disabled instance: a conflict whose message says so (its running execution, if any, is left alone).</summary>
    public static ScriptExecException Disabled(string scriptName, string instanceName) =>
        new(ErrorKind.Conflict, $"instance '{instanceName}' of script '{scriptName}' is disabled; enable it to start it");

    // Only on the error path: a stop of a running instance reads nothing.
    private ScriptExecException NotRunningOrMissing(string scriptName, string instanceName)
    {
        Catalog.RequireInstance(_scripts, scriptName, instanceName);
        return new ScriptExecException(ErrorKind.NotRunning, $"instance '{instanceName}' of script '{scriptName}' is not running");
    }
}
