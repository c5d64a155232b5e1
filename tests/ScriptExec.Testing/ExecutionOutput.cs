using System.Text.Json.Nodes;

namespace ScriptExec.Testing;

/// <summary>Reads an execution's output over the wire with script_execution_output_get, as a client pages through it.</summary>
public static class ExecutionOutput
{
    /// <summary>Every stored line (optionally of some streams only), paged through 1000 at a time.</summary>
    public static async Task<List<JsonNode>> ReadAllLinesAsync(this RpcClient client, long executionId, string[]? streams = null)
    {
        var lines = new List<JsonNode>();
        long? after = null;
        while (true)
        {
            var page = (await client.CallAsync("script_execution_output_get", new
            {
                filter = Filter(executionId, streams),
                pagination = Page(1000, after),
            }))["lines"]!.AsArray();
            if (page.Count == 0)
            {
                return lines;
            }

            lines.AddRange(page.Select(l => l!));
            after = page[^1]!["id"]!.GetValue<long>();
        }
    }

    /// <summary>The stored lines' contents, in line order.</summary>
    public static async Task<List<string>> ReadAllContentAsync(this RpcClient client, long executionId, string[]? streams = null) =>
        [.. (await client.ReadAllLinesAsync(executionId, streams)).Select(l => l["content"]!.GetValue<string>())];

    /// <summary>Polls the output until a line matches (output is stored in batches, so it may lag the script a little).</summary>
    public static async Task<string> WaitForLineAsync(this RpcClient client, long executionId, Func<string, bool> match, TimeSpan? timeout = null)
    {
        var content = await Eventually.ValueAsync(
            () => client.ReadAllContentAsync(executionId),
            lines => lines.Any(match),
            $"execution {executionId} printed a matching line",
            timeout);
        return content.First(match);
    }

    /// <summary>The first output line that is a pid (scripts print <c>$!</c> to tell the test their grandchild).</summary>
    public static async Task<int> WaitForPidLineAsync(this RpcClient client, long executionId) =>
        int.Parse(
            await client.WaitForLineAsync(executionId, l => int.TryParse(l, System.Globalization.CultureInfo.InvariantCulture, out _)),
            System.Globalization.CultureInfo.InvariantCulture);

    private static Dictionary<string, object> Filter(long executionId, string[]? streams)
    {
        var filter = new Dictionary<string, object> { ["execution_id"] = executionId };
        if (streams is not null)
        {
            filter["streams"] = streams;
        }

        return filter;
    }

    private static Dictionary<string, object> Page(int limit, long? after)
    {
        var page = new Dictionary<string, object> { ["limit"] = limit };
        if (after is { } id)
        {
            page["id_exclusive"] = id;
        }

        return page;
    }
}
