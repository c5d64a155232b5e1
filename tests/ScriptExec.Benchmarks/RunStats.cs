using System.Text.Json.Nodes;

namespace ScriptExec.Benchmarks;

/// <summary>N runs of a short script: wall time for all of them, and the time of each run where measured.</summary>
internal sealed record RunStats(int Runs, int Parallel, TimeSpan Wall, Samples PerRun)
{
    public double RunsPerSecond => Runs / Wall.TotalSeconds;

    public JsonObject ToJson() => new()
    {
        ["runs"] = Runs,
        ["parallel"] = Parallel,
        ["wall_s"] = Report.Round(Wall.TotalSeconds),
        ["runs_per_s"] = Report.Round(RunsPerSecond),
        ["per_run"] = PerRun.ToJson(),
    };

    /// <summary>Runs <paramref name="runs"/> iterations spread over <paramref name="workers"/> concurrent loops.</summary>
    public static async Task<RunStats> MeasureAsync<TWorker>(
        int runs, IReadOnlyList<TWorker> workers, Func<TWorker, CancellationToken, Task> runOnce, CancellationToken cancellationToken)
    {
        var perWorker = workers.Select(_ => new Samples()).ToArray();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await Task.WhenAll(workers.Select((worker, w) => Task.Run(async () =>
        {
            var count = (runs / workers.Count) + (w < runs % workers.Count ? 1 : 0);
            for (var i = 0; i < count; i++)
            {
                var run = System.Diagnostics.Stopwatch.GetTimestamp();
                await runOnce(worker, cancellationToken);
                perWorker[w].AddSince(run);
            }
        }, cancellationToken)));
        var wall = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        var all = new Samples();
        foreach (var samples in perWorker)
        {
            all.AddRange(samples);
        }

        return new RunStats(runs, workers.Count, wall, all);
    }
}
