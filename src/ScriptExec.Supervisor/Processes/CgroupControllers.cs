using System.Collections.Frozen;
using System.Globalization;
using ScriptExec.Core;

namespace ScriptExec.Supervisor.Processes;

/// <summary>The cgroup hierarchy a controller is used through.</summary>
public enum CgroupHierarchy
{
    V1,
    V2,
}

/// <summary>Where one controller lives: its hierarchy and this daemon's directory of run cgroups there.</summary>
public sealed record ControllerHome(string Controller, CgroupHierarchy Hierarchy, string Root)
{
    /// <summary>The wire name of the hierarchy, as <c>status.confinement.controller_hierarchies</c> reports it.</summary>
    public string HierarchyName => Hierarchy == CgroupHierarchy.V2 ? "v2" : "v1";
}

/// <summary>
/// Where the memory, pids and cpu controllers live on this machine, and the cgroups of one run that enforce its
/// <c>memory_mb</c>, <c>pids</c> and <c>cpu_percent</c> through them. A controller is used through cgroup v2 when
/// the run's own cgroup (<see cref="ExecutionCgroups"/>) can enable it, else through its cgroup v1 hierarchy when one
/// is mounted and writable (the "hybrid" layout of Debian 10, Ubuntu 20.04 and many device kernels): there each run
/// gets <c>&lt;hierarchy&gt;/&lt;daemon's own cgroup&gt;/scriptexec-&lt;key&gt;/exec-&lt;id&gt;</c>, joined by the same
/// step that joins the v2 cgroup. Both layouts name their files differently; that is all this class hides.
/// </summary>
public sealed class CgroupControllers
{
    /// <summary>The controllers behind the instance limits, in the order they are reported.</summary>
    public static readonly IReadOnlyList<string> Supported = ["memory", "pids", "cpu"];

    public static readonly CgroupControllers None = new([]);

    private const string ExecutionPrefix = "exec-";
    private const long BytesPerMebibyte = 1024 * 1024;

    // The CFS period both layouts default to; cpu_percent is the share of it the run may use.
    private const int CpuPeriodMicroseconds = 100_000;

    private readonly FrozenDictionary<string, ControllerHome> _homes;

    private CgroupControllers(IEnumerable<ControllerHome> homes)
    {
        _homes = homes.ToFrozenDictionary(h => h.Controller, StringComparer.Ordinal);
    }

    /// <summary>Every usable controller with its home, in <see cref="Supported"/> order.</summary>
    public IReadOnlyList<ControllerHome> Homes => [.. Supported.Where(_homes.ContainsKey).Select(c => _homes[c])];

    /// <summary>The limits among <paramref name="limits"/> that nothing on this machine can enforce.</summary>
    public IReadOnlyList<LimitKind> Unenforceable(ResourceLimits limits) =>
        [.. limits.ControllerLimits.Where(kind => !_homes.ContainsKey(kind.Controller()!))];

    /// <summary>
    /// Finds the home of each supported controller: cgroup v2 where <paramref name="v2"/> exists and its run cgroups
    /// can have the controller (enabled here in the base's and the root's <c>cgroup.subtree_control</c>; this fails
    /// while the base holds processes, the v2 "no internal processes" rule), else the controller's v1 hierarchy.
    /// </summary>
    public static CgroupControllers Discover(ExecutionCgroups? v2, string daemonKey)
    {
        var homes = new List<ControllerHome>();
        if (v2 is not null)
        {
            foreach (var controller in Supported)
            {
                var parent = Path.GetDirectoryName(v2.Root)!;
                _ = TryWrite(Path.Combine(parent, "cgroup.subtree_control"), "+" + controller);
                _ = TryWrite(Path.Combine(v2.Root, "cgroup.subtree_control"), "+" + controller);
            }

            var enabled = KernelFiles.TryReadText(Path.Combine(v2.Root, "cgroup.subtree_control"))?.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries) ?? [];
            homes.AddRange(Supported.Where(enabled.Contains).Select(c => new ControllerHome(c, CgroupHierarchy.V2, v2.Root)));
        }

        var v1 = V1Directories(TryReadLines("/proc/self/mounts"), TryReadLines("/proc/self/cgroup"));
        foreach (var controller in Supported.Where(c => homes.All(h => h.Controller != c)))
        {
            if (!v1.TryGetValue(controller, out var own))
            {
                continue;
            }

            var root = Path.Combine(own, "scriptexec-" + daemonKey);
            try
            {
                // Probed in our own child: a v1 hierarchy's root cgroup has no limit files (pids.max, for one).
                Directory.CreateDirectory(root);
                if (File.Exists(Path.Combine(root, ProbeFile(controller))))
                {
                    homes.Add(new ControllerHome(controller, CgroupHierarchy.V1, root));
                }
                else if (homes.All(h => h.Root != root))
                {
                    Directory.Delete(root);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not writable (no root, read-only mount): the controller is not usable here.
            }
        }

        return new CgroupControllers(homes);
    }

    /// <summary>
    /// For each controller mounted as cgroup v1 (from <paramref name="mounts"/>, <c>/proc/self/mounts</c>), the
    /// daemon's own cgroup directory in that hierarchy (from <paramref name="ownCgroups"/>, <c>/proc/self/cgroup</c>).
    /// </summary>
    internal static Dictionary<string, string> V1Directories(IEnumerable<string> mounts, IEnumerable<string> ownCgroups)
    {
        var own = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in ownCgroups)
        {
            // "4:memory:/some/path", or "2:cpu,cpuacct:/" where controllers share a hierarchy.
            var parts = line.Split(':', 3);
            if (parts.Length == 3 && parts[1].Length > 0 && !parts[2].Contains(" (deleted)", StringComparison.Ordinal))
            {
                foreach (var controller in parts[1].Split(','))
                {
                    own[controller] = parts[2];
                }
            }
        }

        var directories = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var fields in mounts.Select(line => line.Split(' ')).Where(f => f.Length > 3 && f[2] == "cgroup"))
        {
            // /proc/self/mounts escapes blanks in paths as octal (\040).
            var mountPoint = fields[1].Replace("\\040", " ", StringComparison.Ordinal);
            foreach (var controller in fields[3].Split(',').Where(o => Supported.Contains(o) && own.ContainsKey(o)))
            {
                directories.TryAdd(controller, Path.Join(mountPoint, own[controller]));
            }
        }

        return directories;
    }

    /// <summary>
    /// Creates the cgroups of run <paramref name="id"/> that its controller limits need and writes the limits;
    /// <paramref name="v2Cgroup"/> is the run's v2 cgroup (null without one). Returns the v1 directories the run must
    /// join (the v2 one it joins anyway). Controllers without a home are skipped (see <see cref="Unenforceable"/>).
    /// Throws <see cref="ProcessStartException"/> when a limit that can be enforced here cannot be written: a run
    /// never silently goes without a limit the machine offers.
    /// </summary>
    public IReadOnlyList<string> Apply(long id, ResourceLimits limits, string? v2Cgroup)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var join = new List<string>();
        try
        {
            foreach (var kind in limits.ControllerLimits)
            {
                if (!_homes.TryGetValue(kind.Controller()!, out var home))
                {
                    continue;
                }

                string directory;
                if (home.Hierarchy == CgroupHierarchy.V2)
                {
                    directory = v2Cgroup ?? throw new IOException("the run's cgroup v2 could not be created");
                }
                else
                {
                    directory = PathOf(home, id);
                    if (!join.Contains(directory))
                    {
                        Directory.CreateDirectory(directory);
                        join.Add(directory);
                    }
                }

                Write(directory, home.Hierarchy, kind, limits[kind]!.Value);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Remove(id);
            throw new ProcessStartException($"cannot apply the cgroup limits: {e.Message}");
        }

        return join;
    }

    /// <summary>How many processes of run <paramref name="id"/> the OOM killer ended (its memory cgroup's <c>oom_kill</c>); 0 without one.</summary>
    public long OomKills(long id, string? v2Cgroup)
    {
        if (!_homes.TryGetValue("memory", out var home))
        {
            return 0;
        }

        // A run without a memory limit has no v1 memory cgroup: not there is 0, not an exception.
        var text = home.Hierarchy == CgroupHierarchy.V2
            ? v2Cgroup is null ? null : KernelFiles.TryReadText(Path.Combine(v2Cgroup, "memory.events"))
            : KernelFiles.TryReadText(Path.Combine(PathOf(home, id), "memory.oom_control"));
        return text is null ? 0 : Counter(text, "oom_kill");
    }

    /// <summary>The value of <paramref name="key"/> in a flat-keyed cgroup file (<c>memory.events</c>, <c>memory.oom_control</c>, <c>cpu.stat</c>); 0 when absent.</summary>
    internal static long Counter(string text, string key)
    {
        foreach (var line in text.Split('\n'))
        {
            var parts = line.Split(' ', 2, StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && parts[0] == key && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
        }

        return 0;
    }

    /// <summary>The ids of the v1 run cgroups that exist now (start-up recovery sweeps them).</summary>
    public IReadOnlyList<long> Existing() =>
        [.. V1Roots().SelectMany(root => ExecutionCgroups.IdsIn(root)).Distinct()];

    /// <summary>Removes the v1 cgroups of run <paramref name="id"/> (empty once its processes are gone); false if one is left.</summary>
    public bool Remove(long id)
    {
        var removed = true;
        foreach (var root in V1Roots())
        {
            // ENOENT: it never had a limit of this hierarchy (most runs have none).
            removed &= KernelFiles.TryRemoveDirectory(Path.Combine(root, ExecutionPrefix + id.ToString(CultureInfo.InvariantCulture)))
                is 0 or NativeMethods.ENOENT;
        }

        return removed;
    }

    /// <summary>Removes this daemon's (then empty) v1 directories at shutdown.</summary>
    public void RemoveRoots()
    {
        foreach (var root in V1Roots())
        {
            try
            {
                Directory.Delete(root);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A run cgroup is left (a run outlived the shutdown); the next start-up sweeps it.
            }
        }
    }

    private IEnumerable<string> V1Roots() => _homes.Values.Where(h => h.Hierarchy == CgroupHierarchy.V1).Select(h => h.Root).Distinct(StringComparer.Ordinal);

    private static string PathOf(ControllerHome home, long id) => Path.Combine(home.Root, ExecutionPrefix + id.ToString(CultureInfo.InvariantCulture));

    /// <summary>A file only a usable hierarchy of the controller has (cpu without CFS bandwidth control cannot cap).</summary>
    private static string ProbeFile(string controller) => controller switch
    {
        "memory" => "memory.limit_in_bytes",
        "pids" => "pids.max",
        _ => "cpu.cfs_quota_us",
    };

    private static void Write(string directory, CgroupHierarchy hierarchy, LimitKind kind, int value)
    {
        var v2 = hierarchy == CgroupHierarchy.V2;
        switch (kind)
        {
            case LimitKind.MemoryMb:
                // Swap counts against the limit: a run over it is ended, not pushed into swap to thrash the device.
                var bytes = Number(value * BytesPerMebibyte);
                File.WriteAllText(Path.Combine(directory, v2 ? "memory.max" : "memory.limit_in_bytes"), bytes);
                var swap = Path.Combine(directory, v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes");
                if (File.Exists(swap))
                {
                    File.WriteAllText(swap, v2 ? "0" : bytes);
                }

                break;
            case LimitKind.Pids:
                File.WriteAllText(Path.Combine(directory, "pids.max"), Number(value));
                break;
            case LimitKind.CpuPercent:
                var quota = Number((long)value * CpuPeriodMicroseconds / 100);
                if (v2)
                {
                    File.WriteAllText(Path.Combine(directory, "cpu.max"), quota + " " + Number(CpuPeriodMicroseconds));
                }
                else
                {
                    File.WriteAllText(Path.Combine(directory, "cpu.cfs_period_us"), Number(CpuPeriodMicroseconds));
                    File.WriteAllText(Path.Combine(directory, "cpu.cfs_quota_us"), quota);
                }

                break;
        }
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static bool TryWrite(string path, string text)
    {
        try
        {
            File.WriteAllText(path, text);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string[] TryReadLines(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
