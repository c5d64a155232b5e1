using System.Text.Json.Nodes;

namespace ScriptExec.Benchmarks;

/// <summary>
/// A store of N executions for the query benchmarks: the daemon creates the schema (start, stop), the seeder
/// bulk-inserts through that schema, and each build is then started on the result in turn.
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

    /// <summary>
    /// Creates the schema with <paramref name="build"/> (start, stop) and seeds it; any build can then be started on
    /// it with <see cref="BenchDaemons.StartAsync"/> and the same <paramref name="name"/>.
    /// </summary>
    public static async Task<JsonObject> SeedAsync(
        ProgramBuild build, string directory, string name, int rows, CancellationToken cancellationToken)
    {
        await using (var schema = await BenchDaemons.StartAsync(build, directory, name, DaemonConfig(), cancellationToken))
        {
            await schema.StopAsync(TimeSpan.FromSeconds(30));
        }

        var databasePath = Path.Combine(directory, name, "scriptexec.db");
        Progress.Say($"  seeding {rows:N0} executions into {databasePath}");
        var seeding = Seeder.Seed(databasePath, rows);
        return new JsonObject
        {
            ["rows"] = rows,
            ["seed_s"] = Report.Round(seeding.TotalSeconds),
            ["database_bytes"] = new FileInfo(databasePath).Length,
        };
    }
}
