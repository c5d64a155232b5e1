using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace ScriptExec.Benchmarks;

/// <summary>
/// The query_latency section: a large and a small store seeded once (schema made by the JIT build), then each built
/// daemon started on both in turn and timed with <see cref="QueryLatency"/>, so the builds answer the same rows.
/// </summary>
internal static class StoreQueries
{
    public static async Task<JsonNode> RunAsync(Builds builds, string temp, BenchOptions options, Report report, CancellationToken cancellationToken)
    {
        var largeLabel = options.LargeStoreRows >= 1_000_000 ? $"{options.LargeStoreRows / 1_000_000}m" : $"{options.LargeStoreRows / 1_000}k";
        var smallLabel = $"{options.SmallStoreRows / 1_000}k";
        var directory = Directory.CreateDirectory(Path.Combine(temp, "stores")).FullName;
        var largeInfo = await SeededStore.SeedAsync(builds.Jit, directory, "store-" + largeLabel, options.LargeStoreRows, cancellationToken);
        var smallInfo = await SeededStore.SeedAsync(builds.Jit, directory, "store-" + smallLabel, options.SmallStoreRows, cancellationToken);

        JsonObject plans;
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(directory, "store-" + largeLabel, "scriptexec.db")};Pooling=False"))
        {
            connection.Open();
            plans = QueryPlans.ToJson(connection, QueryShape.For(options.LargeStoreRows));
        }

        var shapes = new JsonObject();
        foreach (var build in builds.Daemons)
        {
            if (!build.IsBuilt)
            {
                shapes[build.Name] = build.ToJson();
                continue;
            }

            Progress.Say($"  {build.Name} build on the {largeLabel} and {smallLabel} stores");
            report.Scope = build.Name;
            try
            {
                await using var large = await BenchDaemons.StartAsync(build, directory, "store-" + largeLabel, SeededStore.DaemonConfig(), cancellationToken);
                await using var small = await BenchDaemons.StartAsync(build, directory, "store-" + smallLabel, SeededStore.DaemonConfig(), cancellationToken);
                var largeInfoOfBuild = new JsonObject
                {
                    ["startup_to_ready_ms"] = Report.Round(large.ReadyAfter.TotalMilliseconds),
                    ["idle_memory"] = large.Memory().ToJson(),
                };
                var latency = await QueryLatency.RunAsync(
                    new QueryLatency.Store(largeLabel, options.LargeStoreRows, large),
                    new QueryLatency.Store(smallLabel, options.SmallStoreRows, small),
                    options, report, cancellationToken);
                largeInfoOfBuild["memory_after_queries"] = large.Memory().ToJson();
                largeInfo[build.Name] = largeInfoOfBuild;
                report.Add(Check.Info($"startup.to_ready_on_{largeLabel}_store", large.ReadyAfter.TotalMilliseconds, "ms",
                    "start-up reads aggregate counts over the whole store"));
                shapes[build.Name] = latency;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                report.Error("query_latency", e);
            }
            finally
            {
                report.Scope = null;
            }
        }

        return new JsonObject
        {
            ["stores"] = new JsonObject { [largeLabel] = largeInfo, [smallLabel] = smallInfo },
            ["seeded_layout"] = $"{Seeder.Scripts} scripts x {Seeder.InstancesPerScript} instances, 97 % finished / 3 % killed, "
                                + $"exit code {Seeder.RareExitCode} on every {Seeder.RareEvery}th execution",
            ["shapes"] = shapes,
            ["query_plans"] = plans,
        };
    }
}
