using System.Globalization;
using System.Text.Json.Nodes;

namespace ScriptExec.Benchmarks;

/// <summary>
/// How the benchmarks start a real scriptexecd (the kit's <see cref="DaemonProcess"/>): the given build, a data dir and
/// socket named after the run, a <c>--config</c> file, and none of the caller's <c>SCRIPTEXEC_*</c> settings.
/// </summary>
internal static class BenchDaemons
{
    /// <summary>A benchmark daemon runs long and logs little of interest: the last lines are enough for a failure.</summary>
    private const int LogLinesKept = 40;

    /// <summary>
    /// Starts the given build of scriptexecd in <paramref name="directory"/>/<paramref name="name"/> and waits until it is ready.
    /// <paramref name="config"/> becomes its <c>--config</c> file (snake_case keys, as in DaemonOptions).
    /// </summary>
    public static Task<DaemonProcess> StartAsync(
        ProgramBuild build, string directory, string name, JsonObject? config, CancellationToken cancellationToken)
    {
        List<string> extraArgs = [];
        if (config is not null)
        {
            var configPath = Path.Combine(directory, name + ".config.json");
            File.WriteAllText(configPath, config.ToJsonString());
            extraArgs.AddRange(["--config", configPath]);
        }

        return DaemonProcess.StartAsync(
            new DaemonLaunch(Path.Combine(directory, name))
            {
                Dll = build.Dll,
                Executable = build.Executable,
                SocketPath = Path.Combine(directory, name + ".sock"),
                ExtraArgs = extraArgs,
                ClearDaemonEnvironment = true,
                WorkingDirectory = directory,
                LogLinesKept = LogLinesKept,
            },
            cancellationToken);
    }

    /// <summary>Memory from /proc/PID/status: resident, split by kind, and the peak.</summary>
    public static MemoryUse Memory(this DaemonProcess daemon) => Memory(daemon.Pid);

    /// <summary>Memory of any process (supervisord's too) from /proc/PID/status.</summary>
    public static MemoryUse Memory(int pid)
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/status")))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line.EndsWith(" kB", StringComparison.Ordinal))
            {
                values[line[..colon]] = long.Parse(line[(colon + 1)..^3].Trim(), CultureInfo.InvariantCulture) * 1024;
            }
        }

        return new MemoryUse(
            values.GetValueOrDefault("VmRSS"),
            values.GetValueOrDefault("RssAnon"),
            values.GetValueOrDefault("RssFile"),
            values.GetValueOrDefault("RssShmem"),
            values.GetValueOrDefault("VmHWM"));
    }
}

/// <summary>
/// A process's memory, in bytes. Anonymous is mostly the GC heap and native allocations; file-backed is mapped
/// code (runtime, framework, assemblies); shared memory is the runtime's double-mapped JIT code (W^X).
/// </summary>
internal readonly record struct MemoryUse(long Rss, long RssAnon, long RssFile, long RssShmem, long Peak)
{
    private const double MiB = 1024 * 1024;

    public JsonObject ToJson() => new()
    {
        ["rss_mib"] = Report.Round(Rss / MiB),
        ["rss_anon_mib"] = Report.Round(RssAnon / MiB),
        ["rss_file_mib"] = Report.Round(RssFile / MiB),
        ["rss_shmem_mib"] = Report.Round(RssShmem / MiB),
        ["peak_rss_mib"] = Report.Round(Peak / MiB),
    };
}
