using System.Globalization;
using System.Text.Json.Nodes;

namespace ScriptExec.Benchmarks;

/// <summary>
/// Short-script throughput: N runs of <c>#!/bin/sh\nexit 0</c>, one after another and on 16 instances at once,
/// each run from start to recorded end. Baselines in the same run: a bare Process.Start loop, and supervisord.
/// </summary>
internal static class Throughput
{
    public const string ScriptName = "bench-noop";
    public const string Source = "#!/bin/sh\nexit 0\n";

    public static async Task<JsonObject> RunAsync(
        string buildName, DaemonProcess daemon, string directory, BenchOptions options, SupervisordBaseline supervisordBaseline, Report report,
        CancellationToken cancellationToken)
    {
        var scriptPath = Path.Combine(directory, "noop.sh");
        await File.WriteAllTextAsync(scriptPath, Source, cancellationToken);
        File.SetUnixFileMode(scriptPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var instances = Enumerable.Range(0, options.ParallelInstances).Select(i => string.Create(CultureInfo.InvariantCulture, $"w{i}")).ToList();
        await InstanceRunner.DefineAsync(daemon, ScriptName, Source, instances, cancellationToken);

        var result = new JsonObject { ["script"] = Source };
        var modes = new[] { ("sequential", 1), ($"parallel{options.ParallelInstances}", options.ParallelInstances) };
        var daemonStats = new Dictionary<string, RunStats>();
        var bareStats = new Dictionary<string, RunStats>();
        foreach (var (mode, parallel) in modes)
        {
            Progress.Say($"  scriptexecd {mode}: {options.ShortRuns} runs");
            var runners = new List<InstanceRunner>();
            try
            {
                foreach (var instance in instances.Take(parallel))
                {
                    runners.Add(await InstanceRunner.CreateAsync(daemon, ScriptName, instance, cancellationToken));
                }

                // A few runs first, so the daemon's code paths are jitted before the clock runs.
                await RunStats.MeasureAsync(Math.Min(20, options.ShortRuns), runners, (r, ct) => r.RunOnceAsync(ct), cancellationToken);
                daemonStats[mode] = await RunStats.MeasureAsync(options.ShortRuns, runners, (r, ct) => r.RunOnceAsync(ct), cancellationToken);
            }
            finally
            {
                foreach (var runner in runners)
                {
                    await runner.DisposeAsync();
                }
            }

            Progress.Say($"  bare Process.Start loop {mode}: {options.ShortRuns} runs");
            await BareLoop.RunAsync(scriptPath, Math.Min(20, options.ShortRuns), parallel, cancellationToken);
            bareStats[mode] = await BareLoop.RunAsync(scriptPath, options.ShortRuns, parallel, cancellationToken);
        }

        var supervisord = await supervisordBaseline.GetAsync(Path.Combine(directory, "supervisord"), scriptPath, options, modes, buildName, cancellationToken);
        foreach (var (mode, _) in modes)
        {
            var ours = daemonStats[mode];
            var bare = bareStats[mode];
            result[mode] = new JsonObject
            {
                ["scriptexecd"] = ours.ToJson(),
                ["bare_process_start_loop"] = bare.ToJson(),
                ["supervisord"] = supervisord.Stats.TryGetValue(mode, out var s) ? s.ToJson() : null,
            };
            var figure = "short_script." + mode;
            report.Add(Check.RatioAtLeast(figure + ".vs_bare_loop", ours.RunsPerSecond, "runs/s", "bare Process.Start loop", bare.RunsPerSecond, 0.75));
            report.Add(s is null
                ? Check.NotMeasured(figure + ".vs_supervisord", "ratio >= 10", supervisord.Unavailable ?? "not run")
                : Check.RatioAtLeast(figure + ".vs_supervisord", ours.RunsPerSecond, "runs/s", $"supervisord {supervisord.Version}", s.RunsPerSecond, 10));
        }

        result["supervisord"] = supervisord.Unavailable is { } reason
            ? new JsonObject { ["available"] = false, ["reason"] = reason }
            : new JsonObject
            {
                ["available"] = true,
                ["version"] = supervisord.Version,
                ["runs_per_mode"] = options.SupervisordRuns,
                ["measured_with_build"] = supervisordBaseline.MeasuredWith,
                ["idle_memory"] = supervisord.IdleMemory?.ToJson(),
                ["method"] = "XML-RPC over its Unix socket: supervisor.startProcess(name, wait=true) with startsecs=0, "
                             + "then supervisor.getProcessInfo every 1 ms until EXITED",
                ["start_answered_abnormal_termination"] = supervisord.FastExits,
                ["start_answered_abnormal_termination_means"] =
                    "the script had exited before startProcess returned (supervisord reaps inside the call); the poll then saw EXITED with status 0",
            };
        return result;
    }
}
