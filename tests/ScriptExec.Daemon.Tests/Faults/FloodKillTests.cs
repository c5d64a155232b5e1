using System.Text.Json.Nodes;

namespace ScriptExec.Daemon.Tests.Faults;

/// <summary>
/// kill -9 in the middle of an output flood, while the background checkpoint folds the write-ahead log in beside the
/// writer: the restarted daemon finds an intact store, the run ended and its process tree gone, and the output it
/// stored readable as consecutive lines from the first.
/// </summary>
[Category("Faults")]
[NonParallelizable]
public sealed class FloodKillTests
{
    // 100-byte lines without end: only the kill stops it.
    private const string Flood = """
        L=$(printf '%099d' 0)
        yes "$L"
        """;

    // Lines stored before the kill: 20 MB of output, many background checkpoints' worth.
    private const long LinesBeforeKill = 200_000;

    [Test]
    public async Task Kill_9_during_a_flood_with_the_checkpoint_running_leaves_an_intact_store_and_the_stored_lines_in_order()
    {
        using var harness = new CrashHarness("auto");
        var settings = new Dictionary<string, string>
        {
            ["SCRIPTEXEC_output_max_bytes_per_execution"] = "1073741824",
            ["SCRIPTEXEC_output_budget_bytes_per_s"] = "0",
            ["SCRIPTEXEC_output_budget_lines_per_s"] = "0",
        };
        var daemon = await harness.StartDaemonAsync(settings: settings);
        long id;
        await using (var client = await daemon.ConnectAsync())
        {
            await harness.CreateInstanceAsync(client, "flood", "i", Flood);
            id = (await client.CallAsync("script_start", new { script_name = "flood", instance_name = "i" }))["execution"]!["id"]!.GetValue<long>();
            await Eventually.ThatAsync(async () => (await LinesAfterAsync(client, id, LinesBeforeKill, 1)).Count > 0,
                $"{LinesBeforeKill} lines stored", TimeSpan.FromMinutes(2));
        }

        Assert.That(ProcessProbe.ThreadNames(daemon.Pid), Does.Contain("checkpointer"), "the background checkpoint was running when the daemon was killed");
        await daemon.KillAsync();

        daemon = await harness.StartDaemonAsync(settings: settings);
        await using (var client = await daemon.ConnectAsync())
        {
            var run = await CrashHarness.WaitUntilEndedAsync(client, id);
            var first = await LinesAfterAsync(client, id, 0, 1000);
            var last = await LastLinesAsync(client, id);
            Assert.Multiple(() =>
            {
                Assert.That(run["state"]!.GetValue<string>(), Is.EqualTo("killed"));
                Assert.That(TaggedProcesses.Alive(harness.Tag), Is.Empty, "no process of the flood outlived the restart");
                Assert.That(harness.IntegrityCheck(), Is.EqualTo("ok"));
                Assert.That(first.Select(l => l!["id"]!.GetValue<long>()), Is.EqualTo(Enumerable.Range(1, 1000).Select(i => (long)i)));
                Assert.That(last.Count, Is.GreaterThan(0));
                Assert.That(last[0]["id"]!.GetValue<long>(), Is.GreaterThanOrEqualTo(LinesBeforeKill));
                Assert.That(last.Select(l => l["id"]!.GetValue<long>()), Is.EqualTo(Enumerable.Range(0, last.Count).Select(i => last[0]["id"]!.GetValue<long>() + i)),
                    "the last stored lines are consecutive");
                Assert.That(last.All(l => l["content"]!.GetValue<string>().Length == 99), Is.True, "every line is whole");
            });
        }
    }

    /// <summary>Up to <paramref name="limit"/> stored lines after <paramref name="afterId"/>.</summary>
    private static async Task<JsonArray> LinesAfterAsync(RpcClient client, long id, long afterId, int limit) =>
        (await client.CallAsync("script_execution_output_get", new
        {
            filter = new { execution_id = id },
            pagination = new { limit, id_exclusive = afterId },
        }))["lines"]!.AsArray();

    /// <summary>The stored lines from shortly before the kill on: everything after line <see cref="LinesBeforeKill"/> - 1.</summary>
    private static async Task<List<JsonNode>> LastLinesAsync(RpcClient client, long id)
    {
        var lines = new List<JsonNode>();
        var after = LinesBeforeKill - 1;
        while (true)
        {
            var page = await LinesAfterAsync(client, id, after, 1000);
            lines.AddRange(page.Select(l => l!));
            if (page.Count < 1000)
            {
                return lines;
            }

            after = page[^1]!["id"]!.GetValue<long>();
        }
    }
}
