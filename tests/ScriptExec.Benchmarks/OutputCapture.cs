using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace ScriptExec.Benchmarks;

/// <summary>
/// Output capture: a script writing 100-byte lines, with the daemon's output cap raised so that all of it is
/// stored, against the same script writing to /dev/null. Two producers: "bulk" (yes | head, as fast as a pipe
/// goes: measures how fast the daemon stores) and "paced" (a shell loop of echo, a typical chatty script:
/// measures whether capture slows the script down). The bulk bytes are also written into SQLite alone
/// (<see cref="RawOutputStore"/>): the floor under any store of them at the same durability.
/// </summary>
internal static class OutputCapture
{
    public const int LineBytes = 100;

    public static async Task<JsonObject> RunAsync(
        DaemonProcess daemon, string directory, BenchOptions options, Report report, CancellationToken cancellationToken)
    {
        var result = new JsonObject();
        var variants = new[]
        {
            ("bulk", options.OutputBytes, false),
            ("paced", options.OutputBytes / 4, true),
        };
        foreach (var (name, bytes, informational) in variants)
        {
            var lines = bytes / LineBytes;
            var source = name == "bulk" ? BulkSource(lines) : PacedSource(lines);
            var scriptPath = Path.Combine(directory, $"output-{name}.sh");
            await File.WriteAllTextAsync(scriptPath, source, cancellationToken);
            File.SetUnixFileMode(scriptPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            Progress.Say($"  {name}: {bytes / 1_000_000.0:F0} MB to /dev/null (baseline)");
            var baseline = new Samples();
            for (var i = 0; i < 3; i++)
            {
                baseline.Add(await RunToDevNullAsync(scriptPath, cancellationToken));
            }

            JsonObject? floor = null;
            if (!informational)
            {
                Progress.Say($"  {name}: {bytes / 1_000_000.0:F0} MB into SQLite alone (baseline)");
                var withCheckpoint = await RawOutputStore.MeasureAsync(Path.Combine(directory, "raw-output"), bytes, checkpoint: true, cancellationToken);
                var deferred = await RawOutputStore.MeasureAsync(Path.Combine(directory, "raw-output"), bytes, checkpoint: false, cancellationToken);
                floor = new JsonObject
                {
                    ["with_checkpoint_ms"] = Report.Round(withCheckpoint),
                    ["checkpoint_deferred_ms"] = Report.Round(deferred),
                };
                report.Add(Check.Info(
                    $"output_capture.{name}.sqlite_alone_vs_dev_null", Math.Round(withCheckpoint / baseline.P50, 2), "ratio",
                    $"the same bytes into SQLite alone, one thread, WAL and synchronous=NORMAL with its checkpoint: {withCheckpoint:F0} ms against "
                    + $"the script to /dev/null's {baseline.P50:F0} ms (without the checkpoint {deferred:F0} ms)"));
            }

            Progress.Say($"  {name}: {bytes / 1_000_000.0:F0} MB through scriptexecd");
            var script = "bench-output-" + name;
            await InstanceRunner.DefineAsync(daemon, script, source, ["o0"], cancellationToken);
            await using var runner = await InstanceRunner.CreateAsync(daemon, script, "o0", cancellationToken);
            var started = Stopwatch.GetTimestamp();
            var execution = await runner.RunOnceAsync(cancellationToken);
            var recorded = Stopwatch.GetElapsedTime(started);
            var durationMs = execution.GetProperty("duration").GetDouble();
            var truncated = execution.TryGetProperty("output_truncated", out var t) && t.GetBoolean();
            var lastLine = await LastLineIdAsync(daemon, execution.GetProperty("id").GetInt64(), lines, cancellationToken);
            var complete = !truncated && lastLine == lines;
            var storedMbPerS = complete ? bytes / 1_000_000.0 / recorded.TotalSeconds : 0;

            result[name] = new JsonObject
            {
                ["script"] = source,
                ["bytes"] = bytes,
                ["lines"] = lines,
                ["baseline_dev_null_ms"] = baseline.ToJson(),
                ["baseline_sqlite_alone_ms"] = floor,
                ["scriptexecd"] = new JsonObject
                {
                    ["execution_id"] = execution.GetProperty("id").GetInt64(),
                    ["script_duration_ms"] = durationMs,
                    ["start_to_recorded_ms"] = Report.Round(recorded.TotalMilliseconds),
                    ["stored_mb_per_s"] = Report.Round(storedMbPerS),
                    ["output_truncated"] = truncated,
                    ["last_line_id"] = lastLine,
                    ["all_lines_stored"] = complete,
                },
            };

            var figure = "output_capture." + name;
            var rate = Check.AtLeast(figure + ".stored_rate", storedMbPerS, "MB/s", 100,
                "script to /dev/null (MB/s)", bytes / 1_000_000.0 / (baseline.P50 / 1000));
            var wall = Check.RatioAtMost(figure + ".script_wall_time", durationMs, "ms", "same script to /dev/null (median of 3)", baseline.P50, 3);
            if (!complete)
            {
                rate = rate with { Pass = false, Note = $"not all output stored: truncated={truncated}, last line {lastLine} of {lines}" };
            }

            if (informational)
            {
                const string note = "informational: a shell-paced producer, to show the slowdown a typical chatty script sees";
                rate = rate with { Pass = null, Note = note };
                wall = wall with { Pass = null, Note = note };
            }

            report.Add(rate);
            report.Add(wall);
        }

        return result;
    }

    private static string BulkSource(long lines) => string.Create(CultureInfo.InvariantCulture, $"""
        #!/bin/sh
        # {lines} lines of {LineBytes} bytes, as fast as a pipe goes
        L=$(printf '%0{LineBytes - 1}d' 0)
        yes "$L" | head -n {lines}

        """);

    private static string PacedSource(long lines) => string.Create(CultureInfo.InvariantCulture, $$"""
        #!/bin/sh
        # {{lines}} lines of {{LineBytes}} bytes, one echo each
        L=$(printf '%0{{LineBytes - 1}}d' 0)
        i=0
        while [ $i -lt {{lines}} ]; do echo "$L"; i=$((i+1)); done

        """);

    /// <summary>Wall time of the script with its stdout and stderr on /dev/null, in milliseconds.</summary>
    private static async Task<double> RunToDevNullAsync(string scriptPath, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec \"$0\" > /dev/null 2>&1");
        info.ArgumentList.Add(scriptPath);
        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start /bin/sh");
        await process.WaitForExitAsync(cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        return process.ExitCode == 0 ? elapsed : throw new InvalidOperationException($"{scriptPath} exited with {process.ExitCode}");
    }

    /// <summary>The id of the last stored line, found with one page read just before the expected end.</summary>
    private static async Task<long> LastLineIdAsync(DaemonProcess daemon, long executionId, long expectedLines, CancellationToken cancellationToken)
    {
        await using var client = await daemon.ConnectAsync(cancellationToken);
        var page = await client.CallResultAsync("script_execution_output_get", new JsonObject
        {
            ["filter"] = new JsonObject { ["execution_id"] = executionId },
            ["pagination"] = new JsonObject { ["limit"] = 10, ["id_exclusive"] = Math.Max(0, expectedLines - 5) },
        }, cancellationToken);
        return page.GetProperty("lines").EnumerateArray().Select(l => l.GetProperty("id").GetInt64()).DefaultIfEmpty(-1).Max();
    }
}
