using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace ScriptExec.Benchmarks;

/// <summary>Runs every benchmark in order against real scriptexecd processes and writes the report.</summary>
internal static class BenchmarkRunner
{
    private const double MiB = 1024 * 1024;

    public static async Task<int> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        var report = new Report(options);
        var layout = RepoLayout.Locate();
        string dll;
        Builds builds;
        try
        {
            dll = await layout.EnsureDaemonAsync(options.DaemonDll, cancellationToken);
            builds = Builds.Locate(layout, dll, options);
        }
        catch (Exception e) when (e is InvalidOperationException or FileNotFoundException)
        {
            await Console.Error.WriteLineAsync("ScriptExec.Benchmarks: " + e.Message);
            return 1;
        }

        report.Set("daemon", new JsonObject
        {
            ["dll"] = dll,
            ["dll_written_utc"] = File.GetLastWriteTimeUtc(dll).ToString("O", CultureInfo.InvariantCulture),
            ["git"] = await GitDescriptionAsync(layout.Root, cancellationToken),
            ["config"] = SeededStore.DaemonConfig(),
        });
        report.Set("builds", builds.ToJson());

        var temp = Directory.CreateTempSubdirectory("scriptexec-bench-").FullName;
        Progress.Say($"scriptexecd: {dll}; native: {builds.Native.Executable ?? builds.Native.NotBuiltReason}; mode {options.Mode}; temp {temp}");
        var supervisord = new SupervisordBaseline();
        try
        {
            if (options.Explain)
            {
                return await ExplainAsync(builds.Jit, temp, options, cancellationToken);
            }

            // Each daemon-level section runs once per build, JIT then native, each in its own directory.
            await SectionAsync(report, options, "footprint", () => Footprint.RunAsync(builds, temp, options, report, cancellationToken));
            await BuildSectionAsync(report, options, "startup", builds, temp, (b, dir) => StartupAsync(b, dir, options, report, cancellationToken));
            await SectionAsync(report, options, "query_latency", () => StoreQueries.RunAsync(builds, temp, options, report, cancellationToken));
            await BuildSectionAsync(report, options, "work_daemon", builds, temp,
                (b, dir) => WorkAsync(b, dir, options, supervisord, report, cancellationToken));

            // No figure of the issue's targets comes from these two: --quick (CI) keeps to a minute by running them
            // for the JIT build only; the full run has both builds.
            var floodBuilds = options.Quick ? builds with { Native = builds.Native.Skipped("--quick runs this section for the JIT build only") } : builds;
            await BuildSectionAsync(report, options, "subscriber_flood", floodBuilds, temp,
                (b, dir) => SubscriberFlood.RunAsync(b, dir, options, report, cancellationToken));
            await BuildSectionAsync(report, options, "output_budget", floodBuilds, temp,
                (b, dir) => OutputBudgetCost.RunAsync(b, dir, options, report, cancellationToken));

            // Issue 14's fleet: N daemons (the native build where there is one) on one local Mosquitto.
            await SectionAsync(report, options, "fleet", () => Fleet.RunAsync(builds, temp, options, report, cancellationToken));
        }
        finally
        {
            if (options.Keep)
            {
                Progress.Say($"kept {temp}");
            }
            else
            {
                Directory.Delete(temp, recursive: true);
            }
        }

        var json = report.ToJsonString();
        await Console.Out.WriteLineAsync(json);
        if (options.OutPath is { } path)
        {
            await File.WriteAllTextAsync(path, json + "\n", cancellationToken);
            Progress.Say($"report written to {path}");
        }

        Progress.Say($"done: {report.Misses} target(s) missed{(report.HasErrors ? "; some sections FAILED" : "")}");
        return report.HasErrors ? 1 : options.FailOnMiss && report.Misses > 0 ? 3 : 0;
    }

    private static async Task SectionAsync(Report report, BenchOptions options, string name, Func<Task<JsonNode>> run)
    {
        if (!options.Runs(name))
        {
            return;
        }

        Progress.Say($"== {name}");
        try
        {
            report.Section(name, await run());
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            report.Scope = null;
            report.Error(name, e);
        }
        finally
        {
            // A section that names its figures per build (footprint, query_latency) leaves no scope behind.
            report.Scope = null;
        }
    }

    /// <summary>
    /// A section run for each built daemon in turn, in its own directory, its figures named after the build; its
    /// details hold one entry per build, "built": false for a missing one.
    /// </summary>
    private static async Task BuildSectionAsync(
        Report report, BenchOptions options, string name, Builds builds, string temp, Func<ProgramBuild, string, Task<JsonNode>> run)
    {
        if (!options.Runs(name))
        {
            return;
        }

        var details = new JsonObject();
        foreach (var build in builds.Daemons)
        {
            Progress.Say($"== {name} ({build.Name})");
            if (!build.Runs)
            {
                Progress.Say("  " + (build.NotBuiltReason ?? build.NotRunReason));
                details[build.Name] = build.ToJson();
                continue;
            }

            report.Scope = build.Name;
            try
            {
                details[build.Name] = await run(build, Directory.CreateDirectory(Path.Combine(temp, build.Name)).FullName);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                report.Error(name, e);
            }
            finally
            {
                report.Scope = null;
            }
        }

        report.Section(name, details);
    }

    /// <summary>Cold starts on fresh data directories: process start until the socket answers status.</summary>
    private static async Task<JsonNode> StartupAsync(ProgramBuild build, string temp, BenchOptions options, Report report, CancellationToken cancellationToken)
    {
        var samples = new Samples();
        var accepting = new Samples();
        for (var i = 0; i < options.StartupSamples; i++)
        {
            await using var daemon = await BenchDaemons.StartAsync(build, temp, $"startup{i}", SeededStore.DaemonConfig(), cancellationToken);
            samples.Add(daemon.ReadyAfter.TotalMilliseconds);
            accepting.Add(daemon.AcceptingAfter.TotalMilliseconds);
            Progress.Say($"  start {i + 1}: socket accepting after {daemon.AcceptingAfter.TotalMilliseconds:F0} ms, ready after {daemon.ReadyAfter.TotalMilliseconds:F0} ms");
        }

        report.Add(Check.AtMost("startup.to_ready_median", samples.P50, "ms", 100));
        return new JsonObject
        {
            ["definition"] = $"process start ({build.Command}) until the Unix socket accepts and status answers; fresh data directory",
            ["to_ready"] = samples.ToJson(),
            ["to_socket_accepting"] = accepting.ToJson(),
        };
    }

    /// <summary>
    /// One fresh daemon for everything that runs scripts: idle memory, throughput, output, memory after the output
    /// flood has settled, status load, memory after.
    /// </summary>
    private static async Task<JsonNode> WorkAsync(
        ProgramBuild build, string temp, BenchOptions options, SupervisordBaseline supervisord, Report report, CancellationToken cancellationToken)
    {
        await using var daemon = await BenchDaemons.StartAsync(build, temp, "work", SeededStore.DaemonConfig(), cancellationToken);
        var result = new JsonObject { ["startup_to_ready_ms"] = Report.Round(daemon.ReadyAfter.TotalMilliseconds) };
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        var idle = daemon.Memory();

        // Memory after each part too, so a peak can be traced to the part that caused it.
        var memory = new JsonObject { ["idle"] = idle.ToJson() };
        await SubsectionAsync(result, report, "short_script_throughput",
            () => Throughput.RunAsync(build.Name, daemon, temp, options, supervisord, report, cancellationToken));
        memory["after_short_script_throughput"] = daemon.Memory().ToJson();

        // Checked only now: supervisord's idle memory, the baseline, is measured with the throughput runs.
        var check = Check.AtMost("rss.idle", idle.Rss / MiB, "MiB", 20, "supervisord idle RSS", supervisord.Result?.IdleMemory?.Rss / MiB);
        report.Add(check.Ratio is { } ratio ? check with { Pass = check.Pass == true && ratio < 1 } : check);

        await SubsectionAsync(result, report, "output_capture", () => OutputCapture.RunAsync(daemon, temp, options, report, cancellationToken));
        memory["after_output_capture"] = daemon.Memory().ToJson();
        Progress.Say($"  waiting {options.FloodSettle.TotalSeconds:F0} s for memory to settle after the output capture");
        await Task.Delay(options.FloodSettle, cancellationToken);
        var settled = daemon.Memory();
        memory["output_capture_settled"] = settled.ToJson();
        report.Add(Check.RatioAtMost("rss.after_flood_settled", settled.Rss / MiB, "MiB", "idle RSS (2 s after ready)", idle.Rss / MiB, 2) with
        {
            Note = $"{options.FloodSettle.TotalSeconds:F0} s after {options.OutputBytes / 1_000_000} MB bulk + {options.OutputBytes / 4_000_000} MB paced output, all stored",
        });

        await SubsectionAsync(result, report, "status_load", () => StatusLoad.RunAsync(daemon, options, report, cancellationToken));

        var after = daemon.Memory();
        memory["after_runs"] = after.ToJson();
        report.Add(Check.Info("rss.after_runs", after.Rss / MiB, "MiB", $"peak (VmHWM) {after.Peak / MiB:F1} MiB"));
        result["memory"] = memory;
        return result;
    }

    private static async Task SubsectionAsync(JsonObject parent, Report report, string name, Func<Task<JsonObject>> run)
    {
        Progress.Say($"== {name}");
        try
        {
            parent[name] = await run();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            report.Error(name, e);
        }
    }

    private static async Task<int> ExplainAsync(ProgramBuild build, string temp, BenchOptions options, CancellationToken cancellationToken)
    {
        await SeededStore.SeedAsync(build, temp, "explain", options.SmallStoreRows, cancellationToken);
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(temp, "explain", "scriptexec.db")};Pooling=False");
        connection.Open();
        await Console.Out.WriteAsync(QueryPlans.ToText(connection, QueryShape.For(options.SmallStoreRows)));
        return 0;
    }

    private static async Task<JsonObject> GitDescriptionAsync(string root, CancellationToken cancellationToken)
    {
        var head = await ProcessRunner.RunAsync("git", ["-C", root, "rev-parse", "--short", "HEAD"], TimeSpan.FromSeconds(20), cancellationToken);
        var status = await ProcessRunner.RunAsync("git", ["-C", root, "status", "--porcelain", "--untracked-files=no", "--", "src"], TimeSpan.FromSeconds(20), cancellationToken);
        return new JsonObject
        {
            ["commit"] = head.Succeeded ? head.Output.Trim() : null,
            ["src_modified"] = status.Succeeded ? status.Output.Trim().Length > 0 : null,
        };
    }
}
