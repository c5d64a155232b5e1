using System.Text.Json.Nodes;
using ScriptExec.Core;

namespace ScriptExec.Benchmarks;

/// <summary>One script_execution_get call: the filter and page as the store sees them, and the same as wire params.</summary>
internal sealed record QueryShape(string Name, string Description, ExecutionFilter Filter, Pagination Page, string ParamsJson)
{
    public const int PageSize = 50;

    /// <summary>The five shapes of the benchmark, against a store laid out by <see cref="Seeder"/> with <paramref name="rows"/> executions.</summary>
    public static IReadOnlyList<QueryShape> For(int rows)
    {
        var script = Seeder.ScriptName(3);
        var instance = Seeder.InstanceName(7);
        return
        [
            Make("newest_page", "no filter, limit -50 (the UI's first page)", ExecutionFilter.All, new Pagination(-PageSize)),
            Make("oldest_page", "no filter, limit 50", ExecutionFilter.All, new Pagination(PageSize)),
            Make("middle_id_exclusive", "no filter, limit -50 before the middle id", ExecutionFilter.All, new Pagination(-PageSize, rows / 2)),
            Make("state_and_instance", $"states [finished], one instance ({script}/{instance}, 1 % of rows), limit -50",
                new ExecutionFilter { States = [ExecutionState.Finished], Instances = [new InstanceSelector(script, [instance])] },
                new Pagination(-PageSize)),
            Make("rare_exit_code", $"exit_codes [{Seeder.RareExitCode}] (0.5 % of rows), limit -50",
                new ExecutionFilter { ExitCodes = [Seeder.RareExitCode] }, new Pagination(-PageSize)),
        ];
    }

    private static QueryShape Make(string name, string description, ExecutionFilter filter, Pagination page) =>
        new(name, description, filter, page, ToParams(filter, page).ToJsonString());

    private static JsonObject ToParams(ExecutionFilter filter, Pagination page)
    {
        var wireFilter = new JsonObject();
        if (filter.States is { } states)
        {
            wireFilter["states"] = new JsonArray([.. states.Select(s => (JsonNode?)JsonValue.Create(s.ToWire()))]);
        }

        if (filter.Instances is { } instances)
        {
            wireFilter["instances"] = new JsonArray([.. instances.Select(i => (JsonNode?)new JsonObject
            {
                ["script_name"] = i.ScriptName,
                ["instance_names"] = i.InstanceNames is { } names ? new JsonArray([.. names.Select(n => (JsonNode?)JsonValue.Create(n))]) : null,
            })]);
        }

        if (filter.ExitCodes is { } codes)
        {
            wireFilter["exit_codes"] = new JsonArray([.. codes.Select(c => (JsonNode?)JsonValue.Create(c))]);
        }

        var pagination = new JsonObject { ["limit"] = page.Limit };
        if (page.IdExclusive is { } reference)
        {
            pagination["id_exclusive"] = reference;
        }

        var result = new JsonObject { ["pagination"] = pagination };
        if (wireFilter.Count > 0)
        {
            result["filter"] = wireFilter;
        }

        return result;
    }
}
