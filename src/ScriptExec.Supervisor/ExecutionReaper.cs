using System.Text;
using ScriptExec.Core;
using ScriptExec.Core.Crypto;
using ScriptExec.Supervisor.Processes;

namespace ScriptExec.Supervisor;

/// <summary>
/// Finds and kills every process of an execution, whichever session or process group it moved to and whether or
/// not its pid was ever recorded: the execution's cgroup where the machine offers one, and everywhere a scan of
/// <c>/proc/*/environ</c> for the execution's variables.
/// </summary>
internal sealed class ExecutionReaper
{
    // A member may fork while a pass runs: passes repeat until one finds nothing new. The bound keeps a fork bomb
    // from holding the daemon forever; where there is a cgroup its kill is atomic and needs no second pass.
    private const int MaxScanPasses = 20;

    // SIGKILL cannot be caught, but a process in uninterruptible sleep (D state) dies only when its I/O ends.
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(10);

    public ExecutionReaper(string daemonKey, ExecutionCgroups? cgroups, CgroupControllers controllers)
    {
        DaemonKey = daemonKey;
        Cgroups = cgroups;
        Controllers = controllers;
    }

    /// <summary>Tells this daemon's scripts from another daemon's on the same machine, in their environment and cgroup path.</summary>
    public string DaemonKey { get; }

    public ExecutionCgroups? Cgroups { get; }

    /// <summary>Where the memory, pids and cpu controllers of the run limits live.</summary>
    public CgroupControllers Controllers { get; }

    /// <summary>Where a child can be held before its exec, so its cgroup is joined without an exec step; null: the shell step joins it.</summary>
    public SpawnGates? Gates { get; init; }

    /// <summary>A stable key for the daemon whose scripts live in <paramref name="scriptDirectory"/> (one per data directory).</summary>
    public static string KeyFor(string scriptDirectory) =>
        Convert.ToHexStringLower(Sha256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(scriptDirectory))))[..16];

    /// <summary>
    /// Creates the execution's cgroup and those of its controller <paramref name="limits"/>, and has
    /// <paramref name="spec"/> join them all before the script runs; the spec unchanged where there is nothing to
    /// join. <paramref name="confined"/> says whether it joins the v2 cgroup that tracks (and kills) all of the run.
    /// Throws <see cref="ProcessStartException"/> when a limit this machine offers cannot be set up.
    /// </summary>
    public ProcessStartSpec Prepare(long executionId, ProcessStartSpec spec, ResourceLimits limits, out bool confined)
    {
        var tracking = Cgroups?.Create(executionId);
        List<string> join = tracking is null ? [] : [tracking];
        try
        {
            join.AddRange(Controllers.Apply(executionId, limits, tracking));
        }
        catch (ProcessStartException)
        {
            Cgroups?.Remove(executionId);
            throw;
        }

        confined = tracking is not null;
        if (join.Count == 0)
        {
            return spec;
        }

        // Held spawn: the daemon writes the held child's pid into each cgroup.procs; else the shell step joins them.
        return Gates is { } gates
            ? join.Aggregate(spec, (joined, cgroup) => ChildSetup.Join(joined, gates, Path.Combine(cgroup, "cgroup.procs")))
            : ExecutionCgroups.Confine(spec, join);
    }

    /// <summary>How many processes of the execution the OOM killer ended; read before <see cref="KillAll"/> removes its cgroups.</summary>
    public long OomKills(long executionId) => Controllers.OomKills(executionId, Cgroups?.PathOf(executionId));

    /// <summary>Removes the (empty) cgroups of an execution that never ran.</summary>
    public void RemoveCgroups(long executionId)
    {
        Cgroups?.Remove(executionId);
        Controllers.Remove(executionId);
    }

    /// <summary>Sends SIGKILL to everything in the execution's cgroup without waiting (a forced stop).</summary>
    public void KillCgroupNow(long executionId) => Cgroups?.KillNow(executionId);

    /// <summary>
    /// Kills every process of <paramref name="executionIds"/> and waits until they have exited: their cgroups
    /// first, then, with <paramref name="scanEnvironment"/>, scan passes over /proc until one finds nothing new.
    /// The cgroups are removed afterwards unless <paramref name="keepCgroups"/> (the caller removes them with
    /// <see cref="RemoveCgroups"/>). Returns how many processes each execution had.
    /// </summary>
    public IReadOnlyDictionary<long, int> KillAll(IReadOnlySet<long> executionIds, bool scanEnvironment, bool keepCgroups = false)
    {
        var killed = executionIds.ToDictionary(id => id, _ => 0);
        if (Cgroups is { } cgroups)
        {
            foreach (var id in executionIds)
            {
                killed[id] += cgroups.Kill(id, ExitTimeout);
            }
        }

        if (scanEnvironment)
        {
            using var killer = new ProcessKiller();
            for (var pass = 0; pass < MaxScanPasses; pass++)
            {
                var sawNew = false;
                foreach (var (pid, id) in EnvironmentScan.Find(DaemonKey, executionIds))
                {
                    // Re-checked once the pid is pinned: the process may have exited and its pid been reused.
                    if (killer.TryKill(pid, p => EnvironmentScan.ExecutionOf(p, DaemonKey) == id))
                    {
                        killed[id]++;
                        sawNew = true;
                    }
                }

                if (!sawNew)
                {
                    break;
                }
            }

            killer.WaitUntilGone(ExitTimeout);
        }

        if (!keepCgroups)
        {
            foreach (var id in executionIds)
            {
                RemoveCgroups(id);
            }
        }

        return killed;
    }
}
