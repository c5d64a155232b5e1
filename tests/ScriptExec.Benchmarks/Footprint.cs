using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ScriptExec.Benchmarks;

/// <summary>
/// What a device has to carry and wait for: the daemon's size on disk (the native file against the JIT build's files
/// plus the shared .NET frameworks it needs), and the wall time of <c>scriptexec status</c> (native CLI against
/// <c>dotnet scriptexec.dll</c>), with the time to spawn <c>/bin/true</c> as the floor of any CLI.
/// </summary>
internal static class Footprint
{
    private const double MB = 1_000_000;

    public static async Task<JsonNode> RunAsync(Builds builds, string temp, BenchOptions options, Report report, CancellationToken cancellationToken)
    {
        var sizes = new JsonObject();
        double? jitMegabytes = null;
        foreach (var build in builds.Daemons)
        {
            report.Scope = build.Name;
            if (!build.IsBuilt)
            {
                sizes[build.Name] = build.ToJson();
                report.Add(Check.NotMeasured("binary_size.daemon", "<= 30 MB, one file", build.NotBuiltReason!));
                continue;
            }

            var (files, bytes, detail) = build.Executable is not null ? NativeSize(build.Executable) : JitSize(build.Dll!);
            detail["files"] = files;
            detail["mb"] = Report.Round(bytes / MB);
            sizes[build.Name] = detail;
            // The native file is compared with what the JIT build needs on the device (measured first).
            var check = build.Executable is null
                ? Check.AtMost("binary_size.daemon", bytes / MB, "MB", 30)
                : Check.AtMost("binary_size.daemon", bytes / MB, "MB", 30, "the JIT build with its shared frameworks", jitMegabytes);
            jitMegabytes ??= build.Executable is null ? bytes / MB : null;
            report.Add(check with { Pass = check.Pass == true && files == 1, Note = $"{files} file(s) to deploy" });
        }

        // One daemon answers both CLIs, so the figures differ only by the client: the native one if it starts (its
        // own sections report it if it does not), else the JIT one.
        var (daemonBuild, daemon) = await StartDaemonAsync(builds, temp, cancellationToken);
        await using var stopDaemon = daemon;
        var floor = Time("/bin/true", [], options.CliRuns, cancellationToken);
        var cli = new JsonObject
        {
            ["daemon_answering"] = daemonBuild.Name,
            ["command"] = "scriptexec --socket SOCKET status",
            ["spawn_bin_true"] = floor.ToJson(),
        };
        foreach (var build in new[] { builds.JitCli, builds.NativeCli })
        {
            report.Scope = build.Name;
            if (!build.IsBuilt)
            {
                cli[build.Name] = build.ToJson();
                report.Add(Check.NotMeasured("cli.status_wall_time", "<= 20 ms", build.NotBuiltReason!));
                continue;
            }

            string[] status = ["--socket", daemon.SocketPath, "status"];
            var (file, arguments) = build.Executable is { } exe ? (exe, status) : ("dotnet", [build.Dll!, .. status]);
            Progress.Say($"  {build.Command} status: {options.CliRuns} runs");
            var samples = Time(file, arguments, options.CliRuns, cancellationToken);
            cli[build.Name] = new JsonObject { ["command"] = build.Command, ["wall_time"] = samples.ToJson() };
            report.Add(Check.AtMost("cli.status_wall_time", samples.P50, "ms", 20, "spawn of /bin/true (p50)", floor.P50));
        }

        report.Scope = null;
        return new JsonObject { ["daemon_size"] = sizes, ["cli_status"] = cli };
    }

    private static async Task<(ProgramBuild Build, DaemonProcess Daemon)> StartDaemonAsync(Builds builds, string temp, CancellationToken cancellationToken)
    {
        if (builds.Native.IsBuilt)
        {
            try
            {
                return (builds.Native, await BenchDaemons.StartAsync(builds.Native, temp, "footprint-native", SeededStore.DaemonConfig(), cancellationToken));
            }
            catch (InvalidOperationException e)
            {
                Progress.Say("  the native daemon did not start; the CLIs ask the JIT one: " + e.Message.Split('\n')[0]);
            }
        }

        return (builds.Jit, await BenchDaemons.StartAsync(builds.Jit, temp, "footprint", SeededStore.DaemonConfig(), cancellationToken));
    }

    /// <summary>Wall time of each run, after one unmeasured run; every run must exit 0.</summary>
    /// <summary>
    /// Wall time of <paramref name="runs"/> runs (after one warm-up), each started, read to its end and waited for on
    /// this thread, as hyperfine -N does: awaited through the thread pool (ProcessRunner), this 2-core machine's
    /// spinning workers competed with the command, and even <c>/bin/true</c> took 5-6 ms instead of 2.
    /// </summary>
    private static Samples Time(string file, string[] arguments, int runs, CancellationToken cancellationToken)
    {
        var samples = new Samples();
        for (var i = 0; i <= runs; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }

            var started = Stopwatch.GetTimestamp();
            using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");

            // Both are a few lines; stderr is read after stdout's end, far below a pipe's 64 KiB.
            var output = process.StandardOutput.ReadToEnd();
            var errors = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (i > 0)
            {
                samples.AddSince(started);
            }

            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}: {errors}{output}");
            }
        }

        return samples;
    }

    /// <summary>The files beside the native executable that ship with it (debug symbols do not).</summary>
    private static (int Files, long Bytes, JsonObject Detail) NativeSize(string executable)
    {
        // CI publishes the daemon and the CLI into one directory; the CLI is a program of its own, not the daemon's.
        var shipped = Directory.EnumerateFiles(Path.GetDirectoryName(executable)!)
            .Where(f => !f.EndsWith(".dbg", StringComparison.Ordinal) && !f.EndsWith(".pdb", StringComparison.Ordinal)
                && Path.GetFileName(f) != "scriptexec")
            .Select(f => new FileInfo(f)).ToList();
        return (shipped.Count, shipped.Sum(f => f.Length), new JsonObject
        {
            ["definition"] = "every file in the executable's directory but debug symbols (*.dbg, *.pdb) and the CLI (scriptexec)",
            ["executable_mb"] = Report.Round(new FileInfo(executable).Length / MB),
            ["file_names"] = new JsonArray([.. shipped.Select(f => (JsonNode?)f.Name)]),
        });
    }

    /// <summary>
    /// The JIT build's files (no debug symbols, native assets for linux-x64 only, as a linux-x64 publish has them)
    /// plus every shared framework its runtimeconfig names, in the version this tool runs on.
    /// </summary>
    private static (int Files, long Bytes, JsonObject Detail) JitSize(string dll)
    {
        var directory = Path.GetDirectoryName(dll)!;
        var app = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".pdb", StringComparison.Ordinal) && ShipsOnLinuxX64(Path.GetRelativePath(directory, f)))
            .Select(f => new FileInfo(f)).ToList();
        var frameworks = new JsonObject();
        long frameworkBytes = 0;
        var frameworkFiles = 0;
        var shared = Directory.GetParent(RuntimeEnvironment.GetRuntimeDirectory().TrimEnd('/'))!.Parent!.FullName;
        var version = Path.GetFileName(RuntimeEnvironment.GetRuntimeDirectory().TrimEnd('/'));
        foreach (var name in FrameworkNames(Path.ChangeExtension(dll, ".runtimeconfig.json")))
        {
            // The version this tool runs on, else the newest installed (the daemon's roll-forward would pick that).
            var frameworkDirectory = Path.Combine(shared, name, version);
            if (!Directory.Exists(frameworkDirectory) && Directory.Exists(Path.Combine(shared, name)))
            {
                frameworkDirectory = Directory.GetDirectories(Path.Combine(shared, name)).Order(StringComparer.Ordinal).LastOrDefault() ?? frameworkDirectory;
            }

            var files = Directory.Exists(frameworkDirectory) ? new DirectoryInfo(frameworkDirectory).GetFiles("*", SearchOption.AllDirectories) : [];
            frameworkBytes += files.Sum(f => f.Length);
            frameworkFiles += files.Length;
            frameworks[name] = new JsonObject { ["directory"] = frameworkDirectory, ["mb"] = Report.Round(files.Sum(f => f.Length) / MB) };
        }

        var appBytes = app.Sum(f => f.Length);
        return (app.Count + frameworkFiles, appBytes + frameworkBytes, new JsonObject
        {
            ["definition"] = "the build's files (no *.pdb; runtimes/ for linux-x64 only) plus the shared frameworks of its runtimeconfig",
            ["app_mb"] = Report.Round(appBytes / MB),
            ["app_files"] = app.Count,
            ["shared_frameworks"] = frameworks,
        });
    }

    private static bool ShipsOnLinuxX64(string relativePath)
    {
        var parts = relativePath.Split('/');
        return parts.Length < 2 || parts[0] != "runtimes" || parts[1] is "linux-x64" or "linux" or "unix";
    }

    private static List<string> FrameworkNames(string runtimeConfig)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(runtimeConfig));
        var options = document.RootElement.GetProperty("runtimeOptions");
        var frameworks = options.TryGetProperty("frameworks", out var many) ? many.EnumerateArray().ToList()
            : options.TryGetProperty("framework", out var one) ? [one] : [];
        return [.. frameworks.Select(f => f.GetProperty("name").GetString()!)];
    }
}
