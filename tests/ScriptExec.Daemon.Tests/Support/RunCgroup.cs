using System.Globalization;

namespace ScriptExec.Daemon.Tests.Support;

/// <summary>Finds a run's cgroup directory from the <c>/proc/self/cgroup</c> lines a script printed.</summary>
internal static class RunCgroup
{
    /// <summary>The directory of <paramref name="controller"/>'s cgroup in <paramref name="hierarchy"/> (<c>v1</c> or <c>v2</c>).</summary>
    public static string Directory(IEnumerable<string> procSelfCgroup, string controller, string hierarchy)
    {
        var lines = procSelfCgroup.Select(l => l.Split(':', 3)).Where(p => p.Length == 3).ToArray();
        var mounts = File.ReadAllLines("/proc/self/mounts").Select(l => l.Split(' ')).ToArray();
        if (hierarchy == "v2")
        {
            var path = lines.Single(p => p[0] == "0")[2];
            return Path.Join(mounts.First(m => m[2] == "cgroup2")[1], path);
        }

        var own = lines.First(p => p[1].Split(',').Contains(controller))[2];
        return Path.Join(mounts.First(m => m[2] == "cgroup" && m[3].Split(',').Contains(controller))[1], own);
    }

    /// <summary>The value of <paramref name="key"/> in a flat-keyed cgroup file such as <c>cpu.stat</c>.</summary>
    public static long Counter(string text, string key) =>
        text.Split('\n').Select(l => l.Split(' ')).Where(p => p.Length == 2 && p[0] == key)
            .Select(p => long.Parse(p[1], CultureInfo.InvariantCulture)).FirstOrDefault();
}
