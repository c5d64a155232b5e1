using System.Text.Json.Nodes;

namespace ScriptExec.Benchmarks;

/// <summary>
/// A store of N executions for the query benchmarks: the daemon creates the schema (start, stop), the seeder
/// bulk-inserts through that schema, and the daemon is started again on the result.
/// </summary>
internal static class SeededStore
{
    /// <summary>Settings every benchmark daemon runs with: retention off (it would prune the seeded rows), output cap raised.</summary>
    public static JsonObject DaemonConfig() => new()
    {
        ["retention_max_executions"] = 0,
        ["retention_max_output_bytes"] = 0,
        ["output_max_bytes_per_execution"] = 1L << 30,

        // Off: capture throughput is what these figures measure; the budget has its own figure (OutputBudgetCost).
        ["output_budget_bytes_per_s"] = 0,
        ["output_budget_lines_per_s"] = 0,
    };

    /// <summary>Creates, seeds and starts; the daemon is running on the store when this returns.</summary>
    public static async Task<(DaemonProcess Daemon, JsonObject Info)> CreateAsync(
        string dll, string directory, string name, int rows, CancellationToken cancellationToken)
    {
        await using (var schema = await BenchDaemons.StartAsync(dll, directory, name, DaemonConfig(), cancellationToken))
        {
            await schema.StopAsync(TimeSpan.FromSeconds(30));
        }

        var databasePath = Path.Combine(directory, name, "scriptexec.db");
        Progress.Say($"  seeding {rows:N0} executions into {databasePath}");
        var seeding = Seeder.Seed(databasePath, rows);
        var daemon = await BenchDaemons.StartAsync(dll, directory, name, DaemonConfig(), cancellationToken);
        var info = new JsonObject
        {
            ["rows"] = rows,
            ["seed_s"] = Report.Round(seeding.TotalSeconds),
            ["database_bytes"] = new FileInfo(databasePath).Length,
            ["startup_to_ready_ms"] = Report.Round(daemon.ReadyAfter.TotalMilliseconds),
        };
        return (daemon, info);
    }
}
