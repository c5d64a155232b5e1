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
        try
        {
            dll = await layout.EnsureDaemonAsync(options.DaemonDll, cancellationToken);
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

        var temp = Directory.CreateTempSubdirectory("scriptexec-bench-").FullName;
        Progress.Say($"scriptexecd: {dll}; mode {options.Mode}; temp {temp}");
        try
        {
            if (options.Explain)
            {
                return await ExplainAsync(dll, temp, options, cancellationToken);
            }

            await SectionAsync(report, options, "startup", () => StartupAsync(dll, temp, options, report, cancellationToken));
            await SectionAsync(report, options, "query_latency", () => QueriesAsync(dll, temp, options, report, cancellationToken));
            await SectionAsync(report, options, "work_daemon", () => WorkAsync(dll, temp, options, report, cancellationToken));
            await SectionAsync(report, options, "subscriber_flood", () => SubscriberFlood.RunAsync(dll, temp, options, report, cancellationToken));
            await SectionAsync(report, options, "output_budget", () => OutputBudgetCost.RunAsync(dll, temp, options, report, cancellationToken));
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
            report.Error(name, e);
        }
    }

    /// <summary>Cold starts on fresh data directories: process start until the socket answers status.</summary>
    private static async Task<JsonNode> StartupAsync(string dll, string temp, BenchOptions options, Report report, CancellationToken cancellationToken)
    {
        var samples = new Samples();
        var accepting = new Samples();
        for (var i = 0; i < options.StartupSamples; i++)
        {
            await using var daemon = await BenchDaemons.StartAsync(dll, temp, $"startup{i}", SeededStore.DaemonConfig(), cancellationToken);
            samples.Add(daemon.ReadyAfter.TotalMilliseconds);
            accepting.Add(daemon.AcceptingAfter.TotalMilliseconds);
            Progress.Say($"  start {i + 1}: socket accepting after {daemon.AcceptingAfter.TotalMilliseconds:F0} ms, ready after {daemon.ReadyAfter.TotalMilliseconds:F0} ms");
        }

        report.Add(Check.AtMost("startup.to_ready_median", samples.P50, "ms", 500));
        return new JsonObject
        {
            ["definition"] = "process start (dotnet scriptexecd.dll) until the Unix socket accepts and status answers; fresh data directory",
            ["to_ready"] = samples.ToJson(),
            ["to_socket_accepting"] = accepting.ToJson(),
        };
    }

    private static async Task<JsonNode> QueriesAsync(string dll, string temp, BenchOptions options, Report report, CancellationToken cancellationToken)
    {
        var largeLabel = options.LargeStoreRows >= 1_000_000 ? $"{options.LargeStoreRows / 1_000_000}m" : $"{options.LargeStoreRows / 1_000}k";
        var smallLabel = $"{options.SmallStoreRows / 1_000}k";
        var (large, largeInfo) = await SeededStore.CreateAsync(dll, temp, "store-" + largeLabel, options.LargeStoreRows, cancellationToken);
        await using var largeDaemon = large;
        var (small, smallInfo) = await SeededStore.CreateAsync(dll, temp, "store-" + smallLabel, options.SmallStoreRows, cancellationToken);
        await using var smallDaemon = small;
        largeInfo["idle_memory"] = large.Memory().ToJson();

        JsonObject plans;
        await using (var connection = new SqliteConnection($"Data Source={large.DatabasePath};Pooling=False"))
        {
            connection.Open();
            plans = QueryPlans.ToJson(connection, QueryShape.For(options.LargeStoreRows));
        }

        var latency = await QueryLatency.RunAsync(
            new QueryLatency.Store(largeLabel, options.LargeStoreRows, large),
            new QueryLatency.Store(smallLabel, options.SmallStoreRows, small),
            options, report, cancellationToken);
        largeInfo["memory_after_queries"] = large.Memory().ToJson();
        report.Add(Check.Info($"startup.to_ready_on_{largeLabel}_store", largeInfo["startup_to_ready_ms"]!.GetValue<double>(), "ms",
            "start-up reads aggregate counts over the whole store"));
        return new JsonObject
        {
            ["stores"] = new JsonObject { [largeLabel] = largeInfo, [smallLabel] = smallInfo },
            ["seeded_layout"] = $"{Seeder.Scripts} scripts x {Seeder.InstancesPerScript} instances, 97 % finished / 3 % killed, "
                                + $"exit code {Seeder.RareExitCode} on every {Seeder.RareEvery}th execution",
            ["shapes"] = latency,
            ["query_plans"] = plans,
        };
    }

    /// <summary>One fresh daemon for everything that runs scripts: idle memory, throughput, output, status load, memory after.</summary>
    private static async Task<JsonNode> WorkAsync(string dll, string temp, BenchOptions options, Report report, CancellationToken cancellationToken)
    {
        await using var daemon = await BenchDaemons.StartAsync(dll, temp, "work", SeededStore.DaemonConfig(), cancellationToken);
        var result = new JsonObject { ["startup_to_ready_ms"] = Report.Round(daemon.ReadyAfter.TotalMilliseconds) };
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        var idle = daemon.Memory();
        report.Add(Check.AtMost("rss.idle", idle.Rss / MiB, "MiB", 60));

        // Memory after each part too, so a peak can be traced to the part that caused it.
        var memory = new JsonObject { ["idle"] = idle.ToJson() };
        await SubsectionAsync(result, report, "short_script_throughput", () => Throughput.RunAsync(daemon, temp, options, report, cancellationToken));
        memory["after_short_script_throughput"] = daemon.Memory().ToJson();
        await SubsectionAsync(result, report, "output_capture", () => OutputCapture.RunAsync(daemon, temp, options, report, cancellationToken));
        memory["after_output_capture"] = daemon.Memory().ToJson();
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

    private static async Task<int> ExplainAsync(string dll, string temp, BenchOptions options, CancellationToken cancellationToken)
    {
        var (daemon, _) = await SeededStore.CreateAsync(dll, temp, "explain", options.SmallStoreRows, cancellationToken);
        await daemon.DisposeAsync();
        await using var connection = new SqliteConnection($"Data Source={daemon.DatabasePath};Pooling=False");
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
