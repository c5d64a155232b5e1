using ScriptExec.Supervisor;
using ScriptExec.Supervisor.Processes;

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

    /// <summary>This process's directory in each hierarchy a daemon makes cgroups in, found as the daemon finds them.</summary>
    private static IEnumerable<string> OwnCgroupDirectories()
    {
        IEnumerable<string> v1;
        try
        {
            v1 = CgroupControllers.V1Directories(File.ReadAllLines("/proc/self/mounts"), File.ReadAllLines("/proc/self/cgroup")).Values;
        }
        catch (IOException)
        {
            v1 = [];
        }

        return [.. v1.Append(ExecutionCgroups.OwnCgroup()).OfType<string>().Distinct(StringComparer.Ordinal)];
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
