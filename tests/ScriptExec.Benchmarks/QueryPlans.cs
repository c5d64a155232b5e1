using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using ScriptExec.Store;

namespace ScriptExec.Benchmarks;

/// <summary>EXPLAIN QUERY PLAN of the SQL the store builds for each shape (ExecutionQuery.Build, the daemon's own planner).</summary>
internal static class QueryPlans
{
    private const string ExplainPrefix = "EXPLAIN QUERY PLAN ";

    public static IReadOnlyList<string> Explain(SqliteConnection connection, QueryShape shape)
    {
        var query = ExecutionQuery.Build(shape.Filter, shape.Page);
        if (query.IsEmpty)
        {
            return ["(empty filter: no SQL runs)"];
        }

        var rows = connection.Query<PlanRow>(ExplainPrefix + query.Sql, query.Parameters).ToList();
        var depth = new Dictionary<long, int> { [0] = 0 };
        var lines = new List<string>();
        foreach (var row in rows)
        {
            var level = depth.GetValueOrDefault(row.Parent) + 1;
            depth[row.Id] = level;
            lines.Add(new string(' ', (level - 1) * 2) + row.Detail);
        }

        return lines;
    }

    /// <summary>A plan is all seeks when every table access is a SEARCH (an index or rowid range), never a full SCAN of executions.</summary>
    public static string Access(IReadOnlyList<string> plan) =>
        plan.Any(l => l.TrimStart().StartsWith("SCAN executions", StringComparison.Ordinal))
            ? "scan (rowid order, stops after the page)"
            : plan.Any(l => l.Contains("SEARCH", StringComparison.Ordinal)) ? "seek" : "other";

    public static JsonObject ToJson(SqliteConnection connection, IReadOnlyList<QueryShape> shapes)
    {
        var result = new JsonObject();
        foreach (var shape in shapes)
        {
            var plan = Explain(connection, shape);
            result[shape.Name] = new JsonObject
            {
                ["sql"] = ExecutionQuery.Build(shape.Filter, shape.Page).Sql.ReplaceLineEndings(" "),
                ["plan"] = new JsonArray([.. plan.Select(l => (JsonNode?)JsonValue.Create(l))]),
                ["access"] = Access(plan),
            };
        }

        return result;
    }

    public static string ToText(SqliteConnection connection, IReadOnlyList<QueryShape> shapes)
    {
        var text = new StringBuilder();
        foreach (var shape in shapes)
        {
            var query = ExecutionQuery.Build(shape.Filter, shape.Page);
            text.AppendLine($"== {shape.Name}: {shape.Description}");
            text.AppendLine($"params: {shape.ParamsJson}");
            text.AppendLine($"sql:    {query.Sql.ReplaceLineEndings(" ")}");
            foreach (var line in Explain(connection, shape))
            {
                text.AppendLine("  " + line);
            }

            text.AppendLine();
        }

        return text.ToString();
    }

    private sealed record PlanRow(long Id, long Parent, long Notused, string Detail);
}
