using Microsoft.Data.Sqlite;

namespace ScriptExec.Daemon.Tests;

/// <summary>Retention on a daemon configured to keep 5 executions.</summary>
public sealed class RetentionTests
{
    private const int Keep = 5;
    private const int Runs = 8;

    [Test]
    public async Task With_max_executions_N_after_N_plus_k_runs_the_newest_N_remain_with_their_output()
    {
        var dataDir = Directory.CreateTempSubdirectory("scriptexec-retention-").FullName;
        var config = Path.Combine(dataDir, "config.json");
        await File.WriteAllTextAsync(config, $$"""{"retention_max_executions": {{Keep}}}""");
        await using var daemon = await DaemonUnderTest.StartAsync(dataDir, overrides: null, "--config", config);
        await using var client = await daemon.ConnectAsync("unix");
        await client.CallAsync("script_set", new { name = "r", source = "echo run $SCRIPTEXEC_EXECUTION_ID" });
        await client.CallAsync("script_instance_set", new { script_name = "r", instance_name = "i", start_trigger = new { type = "manual" } });

        var ids = new List<long>();
        for (var run = 0; run < Runs; run++)
        {
            var id = (await client.CallAsync("script_start", new { script_name = "r", instance_name = "i" }))["execution"]!["id"]!.GetValue<long>();
            ids.Add(id);
            await Eventually.ThatAsync(async () => (await client.CallAsync("script_execution_get", new
            {
                filter = new { include_outdated = true, states = new[] { "finished" } },
                pagination = new { limit = 1, id_exclusive = id - 1 },
            }))["executions"]!.AsArray().Count == 1, $"run {id} finished");
        }

        var remaining = new List<long>();
        await Eventually.ThatAsync(async () =>
        {
            remaining = [.. (await client.CallAsync("script_execution_get", new
            {
                filter = new { include_outdated = true },
                pagination = new { limit = 100 },
            }))["executions"]!.AsArray().Select(e => e!["id"]!.GetValue<long>())];
            return remaining.Count <= Keep;
        }, $"retention kept at most {Keep} runs");
        var pruned = ids.Take(Runs - Keep).ToList();
        var newestOutput = await client.CallAsync("script_execution_output_get", new { filter = new { execution_id = ids[^1] }, pagination = new { limit = 10 } });
        var prunedOutput = await client.CallErrorAsync("script_execution_output_get", new { filter = new { execution_id = pruned[0] }, pagination = new { limit = 10 } });
        var status = await client.CallAsync("status");

        Assert.Multiple(() =>
        {
            Assert.That(remaining, Is.EqualTo(ids.Skip(Runs - Keep).Reverse()), "exactly the newest N remain");
            Assert.That(newestOutput["lines"]![0]!["content"]!.GetValue<string>(), Is.EqualTo($"run {ids[^1]}"));
            Assert.That(prunedOutput["code"]!.GetValue<int>(), Is.EqualTo(1001));
            Assert.That(OutputRowsOf(daemon.DataDir, pruned), Is.Zero, "output of pruned executions is deleted too");
            Assert.That(status["retention"]!["pruned_executions"]!.GetValue<long>(), Is.EqualTo(Runs - Keep));
            Assert.That(status["executions"]!["total"]!.GetValue<long>(), Is.EqualTo(Keep));
        });
    }

    private static long OutputRowsOf(string dataDir, IEnumerable<long> executionIds)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dataDir, "scriptexec.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COALESCE(SUM(line_count), 0) FROM output_chunks WHERE execution_id IN ({string.Join(',', executionIds)});";
        return (long)command.ExecuteScalar()!;
    }
}
