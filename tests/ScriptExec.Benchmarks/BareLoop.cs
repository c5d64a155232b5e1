using System.Diagnostics;

namespace ScriptExec.Benchmarks;

/// <summary>The floor for short-script throughput: spawn the script with Process.Start and wait, nothing recorded.</summary>
internal static class BareLoop
{
    public static Task<RunStats> RunAsync(string scriptPath, int runs, int parallel, CancellationToken cancellationToken) =>
        RunStats.MeasureAsync(runs, Enumerable.Range(0, parallel).ToList(), async (_, ct) =>
        {
            using var process = Process.Start(new ProcessStartInfo(scriptPath) { UseShellExecute = false })
                ?? throw new InvalidOperationException($"could not start {scriptPath}");
            await process.WaitForExitAsync(ct);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{scriptPath} exited with {process.ExitCode}");
            }
        }, cancellationToken);
}
