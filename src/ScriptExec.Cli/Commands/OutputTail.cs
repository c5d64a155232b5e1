using ScriptExec.Cli.Connection;
using ScriptExec.Cli.Output;

namespace ScriptExec.Cli.Commands;

/// <summary>
/// <c>logs -n N</c>: the last N stored lines of an execution (of the selected streams), without reading all of its
/// output. The API pages forward only (lines after an id), so the end is found first: one page from the start
/// settles a short output; a longer one is probed for its highest line id (doubling, then halving, one line per
/// call). Then windows before that id, doubled until they hold N lines, so gaps and a one-stream selection cost
/// a few more calls, never a full read.
/// </summary>
internal static class OutputTail
{
    /// <summary>Prints the last <paramref name="count"/> lines and marks every earlier line as seen; returns the execution.</summary>
    public static async Task<WireExecution> PrintAsync(
        DaemonClient client, LinePrinter printer, long id, StreamSelection selection, int count, CancellationToken cancellationToken)
    {
        var first = await LogsCommand.ReadPageAsync(client, id, 0, StreamSelection.Both, cancellationToken);
        var lastId = first.Lines.Count < LogsCommand.PageSize
            ? first.Lines.LastOrDefault()?.Id ?? 0
            : await LastIdAsync(client, id, first.Lines[^1].Id, cancellationToken);

        var window = Math.Max(count, 1);
        List<WireLine> lines;
        while (true)
        {
            var from = Math.Max(0, lastId - window);
            lines = await ReadRangeAsync(client, id, from, lastId, selection, cancellationToken);
            if (lines.Count >= count || from == 0)
            {
                break;
            }

            window *= 2;
        }

        var shown = lines.Skip(Math.Max(0, lines.Count - count)).ToList();
        printer.SkipTo((shown.Count > 0 ? shown[0].Id : lastId + 1) - 1);
        foreach (var line in shown)
        {
            await printer.PrintAsync(line, cancellationToken);
        }

        printer.SkipTo(lastId);
        return first.Execution;
    }

    /// <summary>The highest line id, knowing a line with id <paramref name="known"/> exists.</summary>
    private static async Task<long> LastIdAsync(DaemonClient client, long id, long known, CancellationToken cancellationToken)
    {
        // Invariant: a line with an id above `low` exists, none above `high`.
        var low = known - 1;
        var high = known * 2;
        while (await HasLineAfterAsync(client, id, high, cancellationToken))
        {
            (low, high) = (high, high * 2);
        }

        while (high - low > 1)
        {
            var middle = low + ((high - low) / 2);
            if (await HasLineAfterAsync(client, id, middle, cancellationToken))
            {
                low = middle;
            }
            else
            {
                high = middle;
            }
        }

        return high;
    }

    private static async Task<bool> HasLineAfterAsync(DaemonClient client, long id, long afterId, CancellationToken cancellationToken)
    {
        var result = await client.CallAsync("script_execution_output_get", new()
        {
            ["filter"] = new System.Text.Json.Nodes.JsonObject { ["execution_id"] = id },
            ["pagination"] = new System.Text.Json.Nodes.JsonObject { ["limit"] = 1, ["id_exclusive"] = afterId },
        }, cancellationToken);
        return ReplyReader.Read(result, CliJsonContext.Default.WireOutputPage, "script_execution_output_get").Lines.Count > 0;
    }

    /// <summary>The stored lines with ids in (<paramref name="afterId"/>, <paramref name="lastId"/>].</summary>
    private static async Task<List<WireLine>> ReadRangeAsync(
        DaemonClient client, long id, long afterId, long lastId, StreamSelection selection, CancellationToken cancellationToken)
    {
        var lines = new List<WireLine>();
        while (true)
        {
            var page = await LogsCommand.ReadPageAsync(client, id, afterId, selection, cancellationToken);
            lines.AddRange(page.Lines.Where(l => l.Id <= lastId));
            if (page.Lines.Count < LogsCommand.PageSize || page.Lines[^1].Id >= lastId)
            {
                return lines;
            }

            afterId = page.Lines[^1].Id;
        }
    }
}
