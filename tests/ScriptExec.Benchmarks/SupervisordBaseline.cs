namespace ScriptExec.Benchmarks;

/// <summary>What supervisord did in this run: its runs per mode, and its idle memory (null when it was unavailable).</summary>
internal sealed record SupervisordResult(
    Dictionary<string, RunStats> Stats, string? Version, string? Unavailable, int FastExits = 0, MemoryUse? IdleMemory = null);

/// <summary>
/// The supervisord baseline, measured once per benchmark run (with the first build's short-script runs) and shared
/// by every build: it does not depend on which scriptexecd runs, and it is the slowest baseline to measure.
/// </summary>
internal sealed class SupervisordBaseline
{
    private SupervisordResult? _result;

    /// <summary>Null until measured; then the result of the one measurement.</summary>
    public SupervisordResult? Result => _result;

    public string? MeasuredWith { get; private set; }

    public async Task<SupervisordResult> GetAsync(
        string directory, string scriptPath, BenchOptions options, (string Mode, int Parallel)[] modes, string build, CancellationToken cancellationToken)
    {
        if (_result is null)
        {
            _result = await RunAsync(directory, scriptPath, options, modes, cancellationToken);
            MeasuredWith = "in the work_daemon section of the " + build + " build";
        }

        return _result;
    }

    private static async Task<SupervisordResult> RunAsync(
        string directory, string scriptPath, BenchOptions options, (string Mode, int Parallel)[] modes, CancellationToken cancellationToken)
    {
        var stats = new Dictionary<string, RunStats>();
        if (options.SkipSupervisord)
        {
            return new SupervisordResult(stats, null, "skipped (--no-supervisord)");
        }

        var unavailable = await Supervisord.EnsureInstalledAsync(cancellationToken);
        if (unavailable is not null)
        {
            return new SupervisordResult(stats, null, unavailable);
        }

        try
        {
            await using var supervisord = await Supervisord.StartAsync(directory, scriptPath, options.ParallelInstances, cancellationToken);

            // Sampled as the daemon's idle memory is: 2 s after it answers, nothing run yet.
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            var idle = BenchDaemons.Memory(supervisord.Pid);
            foreach (var (mode, parallel) in modes)
            {
                Progress.Say($"  supervisord {supervisord.Version} {mode}: {options.SupervisordRuns} runs");
                var programs = Enumerable.Range(0, parallel).Select(Supervisord.ProgramName).ToList();
                await RunStats.MeasureAsync(Math.Min(parallel * 2, options.SupervisordRuns), programs, supervisord.RunOnceAsync, cancellationToken);
                stats[mode] = await RunStats.MeasureAsync(options.SupervisordRuns, programs, supervisord.RunOnceAsync, cancellationToken);
            }

            return new SupervisordResult(stats, supervisord.Version, null, supervisord.FastExits, idle);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Progress.Say($"  supervisord baseline failed: {e.Message}");
            return new SupervisordResult(stats, null, "supervisord installed but the run failed: " + e.Message);
        }
    }
}
