using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace ScriptExec.Benchmarks;

/// <summary>
/// What the output budget costs a script: the wall time of a flooding script run by scriptexecd under the default
/// budget (start to recorded end, nearly all its lines dropped) against the same script writing to /dev/null. The
/// budget only drops, it never waits; what separates the flood from /dev/null is reading its output at all, so a
/// second figure compares it with the same flood on a daemon without the budget (every line stored).
/// </summary>
internal static class OutputBudgetCost
{
    private const string ScriptName = "bench-flood";

    public static async Task<JsonNode> RunAsync(ProgramBuild build, string directory, BenchOptions options, Report report, CancellationToken cancellationToken)
    {
        var lines = options.FloodLines;
        var source = string.Create(CultureInfo.InvariantCulture, $"#!/bin/sh\nseq -f 'flood line %g of the output budget benchmark' 1 {lines}\n");
        var scriptPath = Path.Combine(directory, "flood.sh");
        await File.WriteAllTextAsync(scriptPath, source, cancellationToken);
        File.SetUnixFileMode(scriptPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        // The benchmarks' common settings, with the budget keys taken out: the default budget (20 KiB/s, 1000 lines/s).
        var config = SeededStore.DaemonConfig();
        config.Remove("output_budget_bytes_per_s");
        config.Remove("output_budget_lines_per_s");
        var (underBudget, droppedLines) = await MeasureDaemonAsync(build, directory, "budget", config, source, options, cancellationToken);

        // For the record: the same flood with the budget off, every line stored (what capture and store cost alone).
        var (budgetOff, _) = await MeasureDaemonAsync(build, directory, "nobudget", SeededStore.DaemonConfig(), source, options, cancellationToken);

        var toDevNull = new Samples();
        await FloodToDevNullAsync(scriptPath, cancellationToken);
        for (var i = 0; i < options.FloodRuns; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await FloodToDevNullAsync(scriptPath, cancellationToken);
            toDevNull.AddSince(started);
        }

        // Against /dev/null, for the record: the gap is the capture reading and splitting every byte (a socket
        // instead of /dev/null), which the budget cannot avoid; it decides after the read. Its own claim is the second
        // figure: dropping never makes a flood slower than storing all of it.
        var ratio = underBudget.P50 / toDevNull.P50;
        report.Add(new Check(
            "output_budget.flood_wall_time.vs_dev_null", Report.Round(underBudget.P50)?.GetValue<double>(), "ms",
            "the same script > /dev/null (p50)", Report.Round(toDevNull.P50)?.GetValue<double>(), Report.Round(ratio)?.GetValue<double>(),
            "none (informational)", null, "start to recorded end, including reading and splitting every byte the flood writes"));
        report.Add(Check.RatioAtMost(
            "output_budget.flood_wall_time.vs_budget_off", underBudget.P50, "ms", "the same flood with the budget off (p50)", budgetOff.P50, 1));
        return new JsonObject
        {
            ["script"] = source,
            ["lines_per_run"] = lines,
            ["bytes_per_run"] = FloodBytes(lines),
            ["budget"] = "default: 20480 bytes/s, 1000 lines/s",
            ["definition"] = "wall time of one run: scriptexecd from script_start to the recorded end; the baseline from fork to exit, stdout on /dev/null",
            ["under_budget"] = underBudget.ToJson(),
            ["to_dev_null"] = toDevNull.ToJson(),
            ["ratio_p50"] = Report.Round(underBudget.P50 / toDevNull.P50),
            ["dropped_lines_last_run"] = droppedLines,
            ["budget_off_every_line_stored"] = budgetOff.ToJson(),
        };
    }

    /// <summary>Timed runs of the flood on a fresh daemon with <paramref name="config"/>; the dropped lines of the last run.</summary>
    private static async Task<(Samples Runs, long DroppedLines)> MeasureDaemonAsync(
        ProgramBuild build, string directory, string name, JsonObject config, string source, BenchOptions options, CancellationToken cancellationToken)
    {
        await using var daemon = await BenchDaemons.StartAsync(build, directory, name, config, cancellationToken);
        await InstanceRunner.DefineAsync(daemon, ScriptName, source, ["main"], cancellationToken);
        await using var runner = await InstanceRunner.CreateAsync(daemon, ScriptName, "main", cancellationToken);

        // One run first, so the daemon's capture path is jitted before the clock runs.
        await runner.RunOnceAsync(cancellationToken);
        var runs = new Samples();
        long droppedLines = 0;
        for (var i = 0; i < options.FloodRuns; i++)
        {
            Progress.Say($"  flood on the {name} daemon, run {i + 1}/{options.FloodRuns}");
            var started = Stopwatch.GetTimestamp();
            var execution = await runner.RunOnceAsync(cancellationToken);
            runs.AddSince(started);
            droppedLines = execution.TryGetProperty("output_dropped_lines", out var dropped) ? dropped.GetInt64() : 0;
        }

        return (runs, droppedLines);
    }

    private static async Task FloodToDevNullAsync(string scriptPath, CancellationToken cancellationToken)
    {
        // exec: the shell becomes the script, with stdout already on /dev/null (no pipe anybody reads).
        var result = await ProcessRunner.RunAsync("/bin/sh", ["-c", "exec \"$0\" > /dev/null", scriptPath], TimeSpan.FromMinutes(2), cancellationToken);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"the flood script failed on its own: {result.Tail()}");
        }
    }

    private static long FloodBytes(int lines) =>
        Enumerable.Range(1, lines).Sum(i => (long)string.Create(CultureInfo.InvariantCulture, $"flood line {i} of the output budget benchmark\n").Length);
}
