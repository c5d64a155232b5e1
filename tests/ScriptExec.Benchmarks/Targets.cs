using System.Text.Json.Nodes;

namespace ScriptExec.Benchmarks;

/// <summary>
/// The target table of issue 12 ("Ship it on a device"), each row read from this run's checks for the JIT and the
/// native build side by side: the value, its baseline from the same run, and whether the run met the target. The
/// report states it; nothing asserts it.
/// </summary>
internal static class Targets
{
    private sealed record Row(string Figure, string Today, string Target, string Check);

    private static readonly Row[] Rows =
    [
        new("idle RSS", "80 MiB", "<= 20 MiB (below supervisord's 31 MiB)", "rss.idle"),
        new("start to ready", "339 ms", "<= 100 ms", "startup.to_ready_median"),
        new("binary size (daemon)", "39 MB + runtime", "<= 30 MB, one file", "binary_size.daemon"),
        new("CLI status wall time", "230 ms", "<= 20 ms", "cli.status_wall_time"),
        new("short scripts, sequential", "0.26x bare loop", ">= 0.75x bare loop (~10x supervisord)", "short_script.sequential.vs_bare_loop"),
        new("short scripts, 16 parallel", "0.36x bare loop", ">= 0.75x bare loop", "short_script.parallel16.vs_bare_loop"),
        new("bulk output stored", "36 MB/s", ">= 100 MB/s", "output_capture.bulk.stored_rate"),
        new("bulk output script wall time", "32x /dev/null", "<= 3x", "output_capture.bulk.script_wall_time"),
        new("RSS 30 s after a 200 MB flood", "150 MiB", "<= 2x idle", "rss.after_flood_settled"),
        new("script_execution_get p99, 1M rows, quiet machine", "1.8-3.5 ms (loaded)", "<= 1 ms", "script_execution_get.p99_worst_shape"),
    ];

    public static JsonObject ToJson(IReadOnlyList<Check> checks, JsonObject machine, JsonNode? builds)
    {
        var rows = new JsonArray();
        foreach (var row in Rows)
        {
            var line = new JsonObject
            {
                ["figure"] = row.Figure,
                ["today"] = row.Today,
                ["target"] = row.Target,
                ["check"] = row.Check,
            };
            foreach (var build in new[] { ProgramBuild.Jit, ProgramBuild.Native })
            {
                line[build] = Cell(checks.FirstOrDefault(c => c.Figure == build + "." + row.Check), builds, build, row);
            }

            rows.Add(line);
        }

        return new JsonObject
        {
            ["issue"] = "12: Ship it on a device (targets are reported, not asserted)",
            ["machine_load"] = new JsonObject
            {
                ["nproc"] = machine["nproc"]?.DeepClone(),
                ["loadavg_at_start"] = machine["loadavg_at_start"]?.DeepClone(),
                ["loadavg_at_end"] = machine["loadavg_at_end"]?.DeepClone(),
            },
            ["met"] = new JsonObject
            {
                [ProgramBuild.Jit] = rows.Count(r => r![ProgramBuild.Jit]?["met"]?.GetValue<bool>() == true),
                [ProgramBuild.Native] = rows.Count(r => r![ProgramBuild.Native]?["met"]?.GetValue<bool>() == true),
                ["of"] = rows.Count,
            },
            ["rows"] = rows,
        };
    }

    private static JsonObject Cell(Check? check, JsonNode? builds, string build, Row row)
    {
        // The CLI row belongs to the CLI's builds, every other row to the daemon's.
        var kind = row.Check.StartsWith("cli.", StringComparison.Ordinal) ? "cli" : "daemon";
        if (builds?[kind]?[build] is { } described && described["built"]?.GetValue<bool>() == false)
        {
            return new JsonObject { ["result"] = "not built", ["met"] = null, ["reason"] = described["reason"]?.DeepClone() };
        }

        if (check is null)
        {
            return new JsonObject { ["result"] = "not measured (section not run, or failed: see summary.errors)", ["met"] = null };
        }

        return new JsonObject
        {
            ["result"] = check.Result,
            ["met"] = check.Pass,
            ["value"] = check.Value is { } v ? Report.Round(v) : null,
            ["unit"] = check.Unit,
            ["baseline"] = check.Baseline,
            ["baseline_value"] = check.BaselineValue is { } b ? Report.Round(b) : null,
            ["ratio"] = check.Ratio is { } r ? Report.Round(r) : null,
            ["note"] = check.Note,
        };
    }
}
