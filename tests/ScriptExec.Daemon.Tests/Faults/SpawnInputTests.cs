using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace ScriptExec.Daemon.Tests.Faults;

/// <summary>
/// What cannot be handed to exec (a NUL in an argument, an environment entry, a path) is refused at the door with
/// -32602 naming the field and nothing recorded, and, when it was stored before the door checked, refused again at
/// spawn: a manual start answers -32602, a triggered one is recorded as failed. Never a ghost running execution.
/// </summary>
[Category("Faults")]
[NonParallelizable]
public sealed class SpawnInputTests : TempDataDirFixture
{
    public SpawnInputTests()
        : base("scriptexec-spawn-")
    {
    }

    [Test]
    public async Task A_NUL_given_to_a_start_or_an_instance_is_refused_with_nothing_recorded_or_started()
    {
        await using var daemon = await DaemonUnderTest.StartAsync(DataDir);
        await using var client = await daemon.ConnectAsync("unix");
        await client.CallAsync("script_set", new { name = "nul", source = "true" });
        await client.CallAsync("script_instance_set", new { script_name = "nul", instance_name = "main", start_trigger = new { type = "manual" } });

        var start = await client.CallErrorAsync("script_start", new { script_name = "nul", instance_name = "main", arguments = "a\0b" });
        var set = await client.CallErrorAsync("script_instance_set", new
        {
            script_name = "nul", instance_name = "other", arguments = "x \0", start_trigger = new { type = "manual" },
        });
        var workingDir = await client.CallErrorAsync("script_instance_set", new
        {
            script_name = "nul", instance_name = "other", working_dir = "/tmp/\0", start_trigger = new { type = "manual" },
        });
        var user = await client.CallErrorAsync("script_instance_set", new
        {
            script_name = "nul", instance_name = "other", user = "root\0x", start_trigger = new { type = "manual" },
        });

        var executions = await ExecutionsAsync(client);
        var overview = await client.CallAsync("script_overview_get");
        var status = await client.CallAsync("status");

        Assert.Multiple(() =>
        {
            Assert.That(Field(start), Is.EqualTo(("arguments", -32602)), start.ToJsonString());
            Assert.That(Field(set), Is.EqualTo(("arguments", -32602)), set.ToJsonString());
            Assert.That(Field(workingDir), Is.EqualTo(("working_dir", -32602)), workingDir.ToJsonString());
            Assert.That(Field(user), Is.EqualTo(("user", -32602)), user.ToJsonString());
            Assert.That(executions, Is.Empty, "nothing was recorded");
            Assert.That(status["running"]!.AsArray(), Is.Empty);
            Assert.That(overview["scripts"]![0]!["instances"]!.AsArray().Select(i => i!["name"]!.GetValue<string>()), Is.EqualTo(new[] { "main" }));
        });
    }

    [Test]
    public async Task A_NUL_stored_before_the_door_checked_never_leaves_a_ghost_running_execution()
    {
        var daemon = await DaemonUnderTest.StartAsync(DataDir);
        await using (var client = await daemon.ConnectAsync("unix"))
        {
            await client.CallAsync("script_set", new { name = "nul", source = "true" });
            await client.CallAsync("script_instance_set", new { script_name = "nul", instance_name = "manual", start_trigger = new { type = "manual" } });
            await client.CallAsync("script_instance_set", new
            {
                script_name = "nul", instance_name = "watch", start_trigger = new { type = "xpath", setting = "/nul/go = 1" },
            });
            var first = await client.CallAsync("script_start", new { script_name = "nul", instance_name = "manual", arguments = "ok" });
            await WaitForEndAsync(client, first["execution"]!["id"]!.GetValue<long>());
        }

        await daemon.StopAsync();
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(DataDir, "scriptexec.db")};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE instances SET arguments = 'a' || char(0) || 'b'; UPDATE executions SET arguments = 'c' || char(0);";
            command.ExecuteNonQuery();
        }

        await using var restarted = await DaemonUnderTest.StartAsync(DataDir);
        await using var after = await restarted.ConnectAsync("unix");
        var before = await ExecutionsAsync(after);
        var manual = await after.CallErrorAsync("script_start", new { script_name = "nul", instance_name = "manual" });
        var rerun = await after.CallErrorAsync("script_execution_rerun", new { execution_id = before[0]!["id"]!.GetValue<long>() });
        await after.CallAsync("state_set", new { xpath = "/nul/go", value = 1 });
        var triggered = await WaitForAsync(after, list => list.Count == 2);
        var ended = await WaitForEndAsync(after, triggered[0]!["id"]!.GetValue<long>());
        var status = await after.CallAsync("status");

        Assert.Multiple(() =>
        {
            Assert.That(Field(manual), Is.EqualTo(("arguments", -32602)), manual.ToJsonString());
            Assert.That(Field(rerun), Is.EqualTo(("arguments", -32602)), rerun.ToJsonString());
            Assert.That(triggered[0]!["instance_name"]!.GetValue<string>(), Is.EqualTo("watch"), "only the triggered start is recorded");
            Assert.That(ended["state"]!.GetValue<string>(), Is.EqualTo("finished"), "a triggered start that cannot spawn is recorded as failed");
            Assert.That(ended["exit_code"]!.GetValue<int>(), Is.Not.Zero);
            Assert.That(status["running"]!.AsArray(), Is.Empty, "no ghost");
            Assert.That(status["executions"]!["running"]!.GetValue<long>(), Is.Zero, "no ghost in the store either");
        });
    }

    private static (string, int) Field(JsonObject error) =>
        (error["data"]?["field"]?.GetValue<string>() ?? "", error["code"]!.GetValue<int>());

    private static async Task<JsonArray> ExecutionsAsync(RpcClient client) =>
        (await client.CallAsync("script_execution_get", new { pagination = new { limit = 100 } }))["executions"]!.AsArray();

    private static async Task<JsonArray> WaitForAsync(RpcClient client, Func<JsonArray, bool> condition)
    {
        JsonArray list = [];
        Assert.That(await EventuallyAsync(async () => condition(list = await ExecutionsAsync(client))), Is.True, () => list.ToJsonString());
        return list;
    }

    private static async Task<JsonNode> WaitForEndAsync(RpcClient client, long id)
    {
        var list = await WaitForAsync(client, l => l.Any(e => e!["id"]!.GetValue<long>() == id && e["state"]!.GetValue<string>() is "finished" or "killed"));
        return list.First(e => e!["id"]!.GetValue<long>() == id)!;
    }

    private static Task<bool> EventuallyAsync(Func<Task<bool>> condition) => Eventually.TryAsync(condition, Eventually.DefaultTimeout);
}
