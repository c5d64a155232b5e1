using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace ScriptExec.Daemon.Tests.Faults;

/// <summary>
/// Nothing stored may stop the daemon from starting: what a client writes is bounded so it always loads again,
/// and a row that cannot be loaded anyway (older daemon, damaged file, hand edit) is skipped and reported.
/// </summary>
[Category("Faults")]
[NonParallelizable]
public sealed class StoredRowsTests : TempDataDirFixture
{
    public StoredRowsTests()
        : base("scriptexec-rows-")
    {
    }

    [Test]
    public async Task A_state_write_nesting_too_deep_to_load_again_is_refused_and_the_daemon_restarts()
    {
        var xpath = "/" + string.Join('/', Enumerable.Range(0, 40).Select(i => "s" + i));
        var daemon = await DaemonUnderTest.StartAsync(DataDir);
        JsonObject deep, deepPath;
        await using (var client = await daemon.ConnectAsync("unix"))
        {
            deep = await client.CallErrorAsync("state_set", new { xpath, value = Nested(30) });
            deepPath = await client.CallErrorAsync("state_set", new { xpath = "/" + string.Join('/', Enumerable.Range(0, 60).Select(i => "p" + i)), value = 1 });
            await client.CallAsync("state_set", new { xpath, value = Nested(8) });
        }

        await daemon.StopAsync();
        await using var restarted = await DaemonUnderTest.StartAsync(DataDir);
        await using var after = await restarted.ConnectAsync("unix");
        var kept = await after.CallAsync("state_get", new { xpath });

        Assert.Multiple(() =>
        {
            Assert.That(deep["code"]!.GetValue<int>(), Is.EqualTo(-32602), deep.ToJsonString());
            Assert.That(deep["data"]!["field"]!.GetValue<string>(), Is.EqualTo("value"));
            Assert.That(deep["data"]!["reason"]!.GetValue<string>(), Does.Contain("48"), "the reason gives the limit");
            Assert.That(deepPath["data"]!["field"]!.GetValue<string>(), Is.EqualTo("xpath"));
            Assert.That(JsonNode.DeepEquals(kept["value"], Nested(8)), "what was accepted loads again");
        });
    }

    [Test]
    public async Task State_values_and_the_tree_are_bounded_in_size()
    {
        await using var daemon = await DaemonUnderTest.StartAsync(DataDir);
        await using var client = await daemon.ConnectAsync("unix");
        var huge = await client.CallErrorAsync("state_set", new { xpath = "/big/one", value = new string('x', 300 * 1024) });
        JsonObject? full = null;
        for (var i = 0; i < 20 && full is null; i++)
        {
            var reply = await client.CallRawAsync("state_set", new { xpath = "/big/v" + i, value = new string('y', 250 * 1024) });
            full = reply["error"]?.AsObject();
        }

        var status = await client.CallAsync("status");

        Assert.Multiple(() =>
        {
            Assert.That(huge["code"]!.GetValue<int>(), Is.EqualTo(-32602));
            Assert.That(huge["data"]!["field"]!.GetValue<string>(), Is.EqualTo("value"));
            Assert.That(huge["data"]!["reason"]!.GetValue<string>(), Does.Contain("262144"));
            Assert.That(full, Is.Not.Null, "the tree stops growing at its limit");
            Assert.That(full!["code"]!.GetValue<int>(), Is.EqualTo(-32602));
            Assert.That(full["data"]!["reason"]!.GetValue<string>(), Does.Contain("4194304"));
            Assert.That(status["pid"], Is.Not.Null);
        });
    }

    [Test]
    public async Task Rows_that_cannot_be_loaded_are_skipped_and_reported_and_everything_else_works()
    {
        var daemon = await DaemonUnderTest.StartAsync(DataDir);
        await using (var client = await daemon.ConnectAsync("unix"))
        {
            await client.CallAsync("script_set", new { name = "good", source = "true" });
            foreach (var name in new[] { "ok", "bad-env", "bad-type", "bad-cron", "bad-xpath" })
            {
                await client.CallAsync("script_instance_set", new { script_name = "good", instance_name = name, start_trigger = new { type = "manual" } });
            }

            await client.CallAsync("state_set", new { xpath = "/keep/x", value = 1 });
        }

        await daemon.StopAsync();
        var deepBranch = new StringBuilder();
        deepBranch.Insert(0, "1", 1);
        for (var i = 0; i < 70; i++)
        {
            deepBranch.Insert(0, "{\"a\":").Append('}');
        }

        Damage(
            ("UPDATE state_tree SET document = @v WHERE id = 1", $$"""{"keep":{"x":1},"deep":{{deepBranch}}}"""),
            ("INSERT INTO scripts (name, version, source, updated_timestamp) VALUES ('../escape', 'v', @v, 0)", "true"),
            ("UPDATE instances SET env = @v WHERE name = 'bad-env'", "not json"),
            ("UPDATE instances SET start_trigger_type = @v WHERE name = 'bad-type'", "bogus"),
            ("UPDATE instances SET start_trigger_type = 'schedule', start_trigger_setting = @v WHERE name = 'bad-cron'", "99 * * * *"),
            ("UPDATE instances SET start_trigger_type = 'xpath', start_trigger_setting = @v WHERE name = 'bad-xpath'", "no path"));

        await using var restarted = await DaemonUnderTest.StartAsync(DataDir);
        await using var after = await restarted.ConnectAsync("unix");
        var unloadable = (await after.CallAsync("status"))["store"]!["unloadable_rows"]!.AsArray();
        var keys = unloadable.Select(r => $"{r!["kind"]} {r["key"]}").ToList();
        var started = await after.CallAsync("script_start", new { script_name = "good", instance_name = "ok" });
        var overview = await after.CallAsync("script_overview_get");
        var kept = await after.CallAsync("state_get", new { xpath = "/keep/x" });
        var badStart = await after.CallErrorAsync("script_start", new { script_name = "good", instance_name = "bad-env" });
        await after.CallAsync("script_instance_delete", new { script_name = "good", instance_name = "bad-env" });
        await after.CallAsync("script_instance_set", new { script_name = "good", instance_name = "bad-type", start_trigger = new { type = "manual" } });
        await after.CallAsync("state_set", new { xpath = "/keep/y", value = 2 });
        var remaining = (await after.CallAsync("status"))["store"]!["unloadable_rows"]!.AsArray().Select(r => $"{r!["kind"]} {r["key"]}");

        Assert.Multiple(() =>
        {
            Assert.That(keys, Is.EquivalentTo(new[]
            {
                "state_tree /deep" + string.Concat(Enumerable.Repeat("/a", 47)),
                "script ../escape",
                "instance good/bad-env",
                "instance good/bad-type",
                "instance_trigger good/bad-cron",
                "instance_trigger good/bad-xpath",
            }), string.Join('\n', unloadable.Select(r => r!.ToJsonString())));
            Assert.That(started["execution"]!["state"]!.GetValue<string>(), Is.EqualTo("running"));
            Assert.That(overview["scripts"]!.AsArray().Select(s => s!["name"]!.GetValue<string>()), Is.EqualTo(new[] { "good" }));
            Assert.That(kept["value"]!.GetValue<int>(), Is.EqualTo(1), "the loadable part of the tree is kept");
            Assert.That(badStart["code"]!.GetValue<int>(), Is.EqualTo(1006), badStart.ToJsonString());
            Assert.That(remaining, Has.None.Contains("bad-env").And.None.Contains("bad-type"), "set again or deleted, a row is no longer reported");
            Assert.That(QuarantinedStateTree(), Does.Contain("\"deep\""), "the original tree is kept, not lost by the next write");
        });
    }

    private static JsonNode Nested(int levels)
    {
        JsonNode node = 1;
        for (var i = 0; i < levels; i++)
        {
            node = new JsonObject { ["n"] = node };
        }

        return node;
    }

    private void Damage(params (string Sql, string Value)[] statements)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(DataDir, "scriptexec.db")};Pooling=False");
        connection.Open();
        foreach (var (sql, value) in statements)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.Parameters.AddWithValue("@v", value);
            Assert.That(command.ExecuteNonQuery(), Is.EqualTo(1), sql);
        }
    }

    private string QuarantinedStateTree()
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(DataDir, "scriptexec.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT group_concat(content) FROM quarantined_rows WHERE source_table = 'state_tree'";
        return command.ExecuteScalar() as string ?? "";
    }
}
