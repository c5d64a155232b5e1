using System.Globalization;
using System.Text.Json.Nodes;

namespace ScriptExec.Benchmarks;

/// <summary>
/// Short-script throughput: N runs of <c>#!/bin/sh\nexit 0</c>, one after another and on 16 instances at once,
/// each run from start to recorded end. Baselines in the same run: a bare Process.Start loop, the stack floor (the
/// least a daemon on the fixed stack does per run, <see cref="StackFloorServer"/>, driven by the same client), and
/// supervisord.
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
        var floorStats = new Dictionary<string, RunStats>();
        var bareStats = new Dictionary<string, RunStats>();
        await using var floor = await StackFloor.StartAsync(Path.Combine(directory, "stack-floor"), cancellationToken);
        await InstanceRunner.DefineAsync(floor.SocketPath, ScriptName, Source, instances, cancellationToken);
        foreach (var (mode, parallel) in modes)
        {
            Progress.Say($"  scriptexecd {mode}: {options.ShortRuns} runs");
            daemonStats[mode] = await RunOnAsync(daemon.SocketPath, instances.Take(parallel), options.ShortRuns, cancellationToken);

            Progress.Say($"  stack floor {mode}: {options.ShortRuns} runs");
            floorStats[mode] = await RunOnAsync(floor.SocketPath, instances.Take(parallel), options.ShortRuns, cancellationToken);

            Progress.Say($"  bare Process.Start loop {mode}: {options.ShortRuns} runs");
            await BareLoop.RunAsync(scriptPath, Math.Min(20, options.ShortRuns), parallel, cancellationToken);
            bareStats[mode] = await BareLoop.RunAsync(scriptPath, options.ShortRuns, parallel, cancellationToken);
        }

        var supervisord = await supervisordBaseline.GetAsync(Path.Combine(directory, "supervisord"), scriptPath, options, modes, buildName, cancellationToken);
        foreach (var (mode, _) in modes)
        {
            var ours = daemonStats[mode];
            var bare = bareStats[mode];
            var stackFloor = floorStats[mode];
            result[mode] = new JsonObject
            {
                ["scriptexecd"] = ours.ToJson(),
                ["stack_floor"] = stackFloor.ToJson(),
                ["bare_process_start_loop"] = bare.ToJson(),
                ["supervisord"] = supervisord.Stats.TryGetValue(mode, out var s) ? s.ToJson() : null,
            };
            var figure = "short_script." + mode;
            report.Add(Check.RatioAtLeast(figure + ".vs_bare_loop", ours.RunsPerSecond, "runs/s", "bare Process.Start loop", bare.RunsPerSecond, 0.75));
            report.Add(Check.Info(
                figure + ".stack_floor_vs_bare_loop", Math.Round(stackFloor.RunsPerSecond / bare.RunsPerSecond, 3), "ratio",
                $"the stack floor at {stackFloor.RunsPerSecond:F0} runs/s against the bare loop's {bare.RunsPerSecond:F0}: the ratio no daemon on the fixed stack exceeds here"));
            report.Add(Check.Info(
                figure + ".vs_stack_floor", Math.Round(ours.RunsPerSecond / stackFloor.RunsPerSecond, 3), "ratio",
                "scriptexecd's runs/s over the stack floor's: what its supervision (cgroup, hold, output capture, recovery data) costs"));
            report.Add(s is null
                ? Check.NotMeasured(figure + ".vs_supervisord", "ratio >= 10", supervisord.Unavailable ?? "not run")
                : Check.RatioAtLeast(figure + ".vs_supervisord", ours.RunsPerSecond, "runs/s", $"supervisord {supervisord.Version}", s.RunsPerSecond, 10));
        }

        result["stack_floor"] = new JsonObject
        {
            ["method"] = "a child process of the benchmark on the fixed stack (StreamJsonRpc NDJSON on a Unix socket, Microsoft.Data.Sqlite in WAL "
                         + "with synchronous=NORMAL, Process.Start with stdout and stderr piped and drained); per run a start row and an end row "
                         + "each in its own transaction, an execution_changed notification, and the same client as scriptexecd's; no cgroup, "
                         + "no hold before exec, nothing stored of the output, no recovery data",
        };
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

    /// <summary>Runs on the daemon at <paramref name="socketPath"/>, one client per instance; a few first, so its code paths are warm.</summary>
    private static async Task<RunStats> RunOnAsync(string socketPath, IEnumerable<string> instances, int runs, CancellationToken cancellationToken)
    {
        var runners = new List<InstanceRunner>();
        try
        {
            foreach (var instance in instances)
            {
                runners.Add(await InstanceRunner.CreateAsync(socketPath, ScriptName, instance, cancellationToken));
            }

            await RunStats.MeasureAsync(Math.Min(20, runs), runners, (r, ct) => r.RunOnceAsync(ct), cancellationToken);
            return await RunStats.MeasureAsync(runs, runners, (r, ct) => r.RunOnceAsync(ct), cancellationToken);
        }
        finally
        {
            foreach (var runner in runners)
            {
                await runner.DisposeAsync();
            }
        }
    }
}
