using ScriptExec.Supervisor;

namespace ScriptExec.Testing;

/// <summary>
/// Removes the cgroup directories a test's daemon left behind: one killed (SIGKILL, a crash test, a dispose of a daemon
/// still running) never removes its <c>scriptexec-&lt;key&gt;</c> tree, and a temporary data directory's key is never
/// used again, so without this every such test would leave kernel objects in the machine's cgroup hierarchies.
/// </summary>
public static class CgroupLeftovers
{
    /// <summary>
    /// Removes the (empty) cgroups of the daemon on <paramref name="dataDir"/>, in every hierarchy this process is in
    /// (a test's daemon is in the test's cgroups, in-process or as a child). One a process still holds is left.
    /// </summary>
    public static void RemoveFor(string dataDir)
    {
        var name = "scriptexec-" + ExecutionReaper.KeyFor(Path.Combine(dataDir, "scripts"));
        foreach (var own in OwnCgroupDirectories())
        {
            var root = Path.Combine(own, name);
            if (!Directory.Exists(root))
            {
                continue;
            }

            foreach (var run in Directory.EnumerateDirectories(root, "exec-*"))
            {
                TryRemove(run);
            }

            TryRemove(root);
        }
    }

    /// <summary>This process's directory in each mounted cgroup hierarchy (v2 and every v1 one).</summary>
    private static IEnumerable<string> OwnCgroupDirectories()
    {
        string[][] own, mounts;
        try
        {
            own = [.. File.ReadAllLines("/proc/self/cgroup").Select(l => l.Split(':', 3)).Where(p => p.Length == 3)];
            mounts = [.. File.ReadAllLines("/proc/self/mounts").Select(l => l.Split(' ')).Where(m => m.Length > 3)];
        }
        catch (IOException)
        {
            yield break;
        }

        foreach (var mount in mounts)
        {
            // "0::/path" is the v2 hierarchy; "N:cpu,cpuacct:/path" a v1 one, mounted with those controllers as options.
            var line = mount[2] switch
            {
                "cgroup2" => own.FirstOrDefault(p => p[0] == "0"),
                "cgroup" => own.FirstOrDefault(p => p[1].Length > 0 && p[1].Split(',').All(c => mount[3].Split(',').Contains(c))),
                _ => null,
            };
            if (line is not null)
            {
                yield return Path.Join(mount[1].Replace("\\040", " ", StringComparison.Ordinal), line[2]);
            }
        }
    }

    private static void TryRemove(string directory)
    {
        try
        {
            Directory.Delete(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Still populated (a run outlived its daemon) or not ours to remove: left as it is.
        }
    }
}
