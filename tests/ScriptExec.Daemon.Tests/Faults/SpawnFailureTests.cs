using System.Text.Json.Nodes;

namespace ScriptExec.Daemon.Tests.Faults;

/// <summary>
/// Whatever fails between the start record and a running process ends the execution: recorded as finished with
/// exit code 127 and the reason on stderr, never left running, and the instance is free to start again.
/// </summary>
[Category("Faults")]
public sealed class SpawnFailureTests
{
    private DaemonUnderTest _daemon = null!;
    private RpcClient _client = null!;

    [OneTimeSetUp]
    public async Task Start() => _daemon = await DaemonUnderTest.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _daemon.DisposeAsync();

    [SetUp]
    public async Task Connect() => _client = await _daemon.ConnectAsync("unix");

    [TearDown]
    public async Task Disconnect() => await _client.DisposeAsync();

    [Test]
    public async Task A_start_the_launcher_rejects_is_never_left_running_and_the_instance_starts_again()
    {
        // A NUL cannot reach exec: the launcher refuses it after the start record exists (unless the door refuses it first).
        var script = await CreateAsync("echo fine\n");
        var start = await _client.CallRawAsync("script_start", new { script_name = script, instance_name = "main", arguments = "a\u0000b" });
        var active = await ActiveAsync(script);
        var recorded = start["result"]?["execution"];
        var stderr = recorded is null ? [] : await _client.ReadAllContentAsync(recorded["id"]!.GetValue<long>(), ["stderr"]);
        var again = (await _client.CallAsync("script_start", new { script_name = script, instance_name = "main" }))["execution"]!;
        var againEnd = await WaitForEndAsync(again["id"]!.GetValue<long>());

        Assert.Multiple(() =>
        {
            Assert.That(active, Is.Empty, () => $"left running: {active.ToJsonString()}; start replied {start.ToJsonString()}");
            if (start["error"] is { } error)
            {
                Assert.That(error["code"]!.GetValue<int>(), Is.EqualTo(-32602), () => $"refused at the door, naming the field: {start.ToJsonString()}");
            }
            else
            {
                Assert.That(recorded!["state"]!.GetValue<string>(), Is.EqualTo("finished"), () => recorded.ToJsonString());
                Assert.That(recorded["exit_code"]!.GetValue<int>(), Is.EqualTo(127));
                Assert.That(recorded.AsObject().ContainsKey("pid"), Is.False);
                Assert.That(stderr, Has.Some.StartsWith("scriptexecd: "), "the reason is on stderr");
            }

            Assert.That(againEnd["exit_code"]!.GetValue<int>(), Is.EqualTo(0), "the instance is not held by the failed start");
        });
    }

    private async Task<string> CreateAsync(string source)
    {
        var script = "spawn-" + Guid.NewGuid().ToString("N")[..12];
        await _client.CallAsync("script_set", new { name = script, source });
        await _client.CallAsync("script_instance_set", new { script_name = script, instance_name = "main", start_trigger = new { type = "manual" } });
        return script;
    }

    private async Task<JsonArray> ActiveAsync(string script) =>
        (await _client.CallAsync("script_execution_get", new
        {
            filter = new { instances = new[] { new { script_name = script } }, states = new[] { "running", "terminating" } },
            pagination = new { limit = -100 },
        }))["executions"]!.AsArray();

    private Task<JsonNode> WaitForEndAsync(long id) =>
        Eventually.ValueAsync(
            async () => (await _client.CallAsync("script_execution_output_get", new
            {
                filter = new { execution_id = id },
                pagination = new { limit = 1 },
            }))["execution"]!,
            e => e["state"]!.GetValue<string>() is "finished" or "killed",
            $"execution {id} ended");
}
