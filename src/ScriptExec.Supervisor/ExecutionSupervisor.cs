using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using ScriptExec.Core;
using ScriptExec.Core.Metrics;
using ScriptExec.Store;
using ScriptExec.Supervisor.Processes;
using ScriptExec.Supervisor.Runtime;

namespace ScriptExec.Supervisor;

/// <summary>A running execution as the supervisor holds it.</summary>
public sealed record RunningSnapshot(long Id, string ScriptName, string InstanceName, ExecutionState State, int Pid, long StartTimestamp);

/// <summary>
/// Runs instances (each at most once at a time), records every start and end, and stops them on request,
/// on timeout and at shutdown. The start record is committed before the script runs (with its pid, while the
/// process is held before its exec, where the machine allows), the end record once its exit status and all of its
/// output are in.
/// </summary>
public sealed partial class ExecutionSupervisor : IAsyncDisposable
{
    private readonly ConcurrentDictionary<(string Script, string Instance), RunningExecution> _running = new();
    private readonly Lock _reserveLock = new();
    private readonly ExecutionStore _executions;
    private readonly OutputStore _output;
    private readonly ScriptFiles _files;
    private readonly SupervisorOptions _options;
    private readonly ILogger<ExecutionSupervisor> _logger;
    private readonly TimeProvider _time;
    private readonly string? _bootId = ProcessRecovery.ReadBootId();
    private readonly ExecutionReaper _reaper;
    private readonly LimitsWrapper _limits = LimitsWrapper.Detect();
    private readonly ScriptExecMetrics? _metrics;
    private long _changeVersion;

    public ExecutionSupervisor(
        ExecutionStore executions,
        OutputStore output,
        SupervisorOptions options,
        TimeProvider time,
        ILogger<ExecutionSupervisor> logger,
        ScriptExecMetrics? metrics = null)
    {
        _time = time;
        _metrics = metrics;
        _executions = executions;
        _output = output;
        _options = options;
        _logger = logger;
        _files = new ScriptFiles(options.ScriptDirectory);
        Statistics = new ExecutionStatistics(executions);
        _reaper = CreateReaper(options, logger);
        Workdirs = options.WorkDirectory is { } work ? new Workdirs(work, time) : null;

        // Fixed for the daemon's life: status reads it on every call, dashboards poll status.
        // The held spawn sets rlimits and niceness itself (prlimit(2), setpriority(2)); else the prlimit/nice steps must exist.
        Confinement = new Confinement(
            _reaper.Gates is not null || _limits.CanApplyAll,
            _reaper.Cgroups is not null,
            [.. _reaper.Controllers.Homes.Select(h => h.Controller)],
            _reaper.Controllers.Homes.ToDictionary(h => h.Controller, h => h.HierarchyName, StringComparer.Ordinal));
        WarnUnenforceableDefaults();
        Dispatcher = new OutputDispatcher(executions);
        OutputBudget = new Runtime.OutputBudget(options.OutputBudget, time);
    }

    /// <summary>Counts by state and duration statistics, moved with every transition.</summary>
    public ExecutionStatistics Statistics { get; }

    /// <summary>Told every run's outcome before its end record is written (the trigger engine, once it has started).</summary>
    public IRunOutcomes? Outcomes { get; set; }

    /// <summary>Raised after every committed state change of an execution (start, terminating, end).</summary>
    public event Action<Execution>? ExecutionChanged;

    /// <summary>Delivers every change and captured line to the client connections, off the capture path.</summary>
    public OutputDispatcher Dispatcher { get; }

    /// <summary>Increases with every state change; lets readers cache aggregates.</summary>
    public long ChangeVersion => Interlocked.Read(ref _changeVersion);

    public int RunningCount => _running.Count;

    /// <summary>True while a run holds the instance (from its reservation until its end record is committed).</summary>
    public bool IsReserved(string scriptName, string instanceName) => _running.ContainsKey((scriptName, instanceName));

    public SupervisorOptions Options => _options;

    public ScriptFiles Files => _files;

    /// <summary>The instances' persistent working directories; null when the daemon keeps none.</summary>
    public Workdirs? Workdirs { get; }

    /// <summary>The tokens of the running executions (the stdin payload's <c>token</c>): issued at start, revoked at the end.</summary>
    public RunTokens Tokens { get; } = new();

    /// <summary>What confines a run on this machine, as <c>status.confinement</c> reports it.</summary>
    public Confinement Confinement { get; }

    /// <summary>The executions running or terminating now, from memory (no query), oldest first.</summary>
    public IReadOnlyList<RunningSnapshot> Running() =>
        [.. _running.Values
            .Where(e => e.Id != 0 && e.Process is not null && !e.Ended)
            .Select(e => new RunningSnapshot(e.Id, e.ScriptName, e.InstanceName, e.State, e.Process!.Pid, e.StartTimestamp))
            .OrderBy(e => e.Id)];

    /// <summary>
    /// The script now has <paramref name="version"/> (committed): its runs of another version are outdated, as the
    /// store has just marked their rows, so what is built from memory says so too.
    /// </summary>
    public void ScriptVersionStored(string scriptName, string version)
    {
        foreach (var entry in _running.Values)
        {
            if (entry.ScriptName == scriptName && entry.Started is { } started && started.ScriptVersion != version)
            {
                entry.Outdated = true;
            }
        }
    }

    /// <summary>
    /// Stops the running execution of an instance: SIGTERM to its process group, SIGKILL after the grace period
    /// (at once with <paramref name="force"/>). A stop while terminating changes nothing unless forced. Null when
    /// the instance is not running.
    /// </summary>
    public async Task<Execution?> StopAsync(
        string scriptName, string instanceName, Trigger trigger, bool force, CancellationToken cancellationToken)
    {
        if (!_running.TryGetValue((scriptName, instanceName), out var entry)
            || !await StopEntryAsync(entry, trigger, force, cancellationToken))
        {
            return null;
        }

        // As known in memory: with the disk full, terminating is signalled but may not be stored yet.
        return Known(entry);
    }

    /// <summary>Stops everything with stop trigger system/shutdown and waits for the end records.</summary>
    public async Task StopAllAsync(CancellationToken cancellationToken)
    {
        var entries = _running.Values.ToArray();
        if (entries.Length == 0)
        {
            return;
        }

        Log.ShuttingDown(_logger, entries.Length);
        var shutdown = Trigger.System(Trigger.ShutdownCause);
        await Task.WhenAll(entries.Select(e => StopEntryAsync(e, shutdown, force: false, CancellationToken.None)));
        await Task.WhenAll(entries.Select(e => e.Monitor)).WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(_running.Values.Select(e => e.StopGraceSeconds).DefaultIfEmpty(0).Max() + 5));
        try
        {
            await StopAllAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown timeout decides how long we may take; what is left is recovered at next start.
        }

        _reaper.Cgroups?.RemoveRoot();
        _reaper.Controllers.RemoveRoots();
        await Dispatcher.DisposeAsync();
    }

    private static ExecutionReaper CreateReaper(SupervisorOptions options, ILogger logger)
    {
        var key = ExecutionReaper.KeyFor(options.ScriptDirectory);
        ExecutionCgroups? cgroups = null;
        var reason = "cgroup is off";
        if (!string.Equals(options.Cgroup, "off", StringComparison.Ordinal))
        {
            cgroups = ExecutionCgroups.Discover(string.Equals(options.Cgroup, "auto", StringComparison.Ordinal) ? null : options.Cgroup, key, out reason);
        }

        if (cgroups is not null)
        {
            Log.CgroupsOn(logger, cgroups.Root);
        }
        else
        {
            Log.CgroupsOff(logger, reason);
        }

        // The controller limits follow the same switch: "off" means no cgroup of any kind.
        var controllers = string.Equals(options.Cgroup, "off", StringComparison.Ordinal)
            ? Processes.CgroupControllers.None
            : Processes.CgroupControllers.Discover(cgroups, key);
        Log.ControllersFound(
            logger,
            controllers.Homes.Count == 0 ? "none" : string.Join(", ", controllers.Homes.Select(h => $"{h.Controller} ({h.HierarchyName}, {h.Root})")));

        // Beside the scripts' directory, in the data directory (which only the daemon may enter).
        var gateDirectory = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(options.ScriptDirectory))!, "spawn-gates");
        var gates = SpawnGates.Create(gateDirectory, out var gatesReason);
        if (gates is not null && HeldSpawn.Probe(gates) is { } unusable)
        {
            gates = null;
            gatesReason = unusable;
        }
        if (gates is not null)
        {
            Log.HeldSpawnOn(logger, gates.Directory);
        }
        else
        {
            Log.HeldSpawnOff(logger, gatesReason);
        }

        return new ExecutionReaper(key, cgroups, controllers) { Gates = gates };
    }
}
