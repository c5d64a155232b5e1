using System.Text.Json.Nodes;

namespace ScriptExec.Daemon.Tests.Faults;

/// <summary>
/// What a client reads as ended is startable: the moment <c>script_execution_get</c> shows a run <c>finished</c>,
/// its instance is free again (no <c>1002</c>), a slot is free under the concurrency limit (no <c>1005</c>) and the
/// instance can be deleted. Many rounds, because the window this guards is short.
/// </summary>
[Category("Faults")]
public sealed class EndedIsStartableTests
{
    private static readonly int Rounds = FaultRounds.FromEnvironment("SCRIPTEXEC_FAULT_END_ROUNDS", 200);

    [Test]
    public async Task The_same_instance_starts_again_as_soon_as_its_run_reads_finished()
    {
        await using var daemon = await DaemonUnderTest.StartAsync();
        await using var client = await daemon.ConnectAsync("unix");
        await CreateAsync(client, "again", "a");

        var refusals = new List<string>();
        for (var round = 0; round < Rounds; round++)
        {
            var reply = await client.CallRawAsync("script_start", new { script_name = "again", instance_name = "a" });
            if (reply["error"] is { } error)
            {
                refusals.Add($"round {round}: {error.ToJsonString()}");
                break;
            }

            await WaitUntilEndedAsync(client, reply["result"]!["execution"]!["id"]!.GetValue<long>());
        }

        Assert.That(refusals, Is.Empty, $"a start right after the previous run read finished was refused ({Rounds} rounds)");
    }

    [Test]
    public async Task Another_instance_starts_at_the_concurrency_limit_as_soon_as_the_run_holding_it_reads_finished()
    {
        await using var daemon = await DaemonUnderTest.StartAsync(extraArgs: ["--max-concurrent-executions", "1"]);
        await using var client = await daemon.ConnectAsync("unix");
        await CreateAsync(client, "slot", "a");
        await CreateAsync(client, "slot", "b");

        var refusals = new List<string>();
        for (var round = 0; round < Rounds; round++)
        {
            var reply = await client.CallRawAsync("script_start", new { script_name = "slot", instance_name = round % 2 == 0 ? "a" : "b" });
            if (reply["error"] is { } error)
            {
                refusals.Add($"round {round}: {error.ToJsonString()}");
                break;
            }

            await WaitUntilEndedAsync(client, reply["result"]!["execution"]!["id"]!.GetValue<long>());
        }

        Assert.That(refusals, Is.Empty, $"a start right after the only running execution read finished was refused ({Rounds} rounds)");
    }

    [Test]
    public async Task An_instance_whose_run_reads_finished_can_be_deleted_at_once()
    {
        await using var daemon = await DaemonUnderTest.StartAsync();
        await using var client = await daemon.ConnectAsync("unix");

        var refusals = new List<string>();
        for (var round = 0; round < Rounds / 2; round++)
        {
            await CreateAsync(client, "gone", "a");
            var started = await client.CallAsync("script_start", new { script_name = "gone", instance_name = "a" });
            await WaitUntilEndedAsync(client, started["execution"]!["id"]!.GetValue<long>());
            var reply = await client.CallRawAsync("script_instance_delete", new { script_name = "gone", instance_name = "a" });
            if (reply["error"] is { } error)
            {
                refusals.Add($"round {round}: {error.ToJsonString()}");
                break;
            }
        }

        Assert.That(refusals, Is.Empty, "deleting an instance right after its run read finished was refused");
    }

    private static async Task CreateAsync(RpcClient client, string script, string instance)
    {
        await client.CallAsync("script_set", new { name = script, source = "exit 0" });
        await client.CallAsync("script_instance_set", new { script_name = script, instance_name = instance, start_trigger = new { type = "manual" } });
    }

    /// <summary>Reads the execution as a client would, as fast as it can, until it is no longer running.</summary>
    private static async Task WaitUntilEndedAsync(RpcClient client, long id)
    {
        var executions = new JsonArray();
        var ended = await Eventually.TryAsync(
            async () =>
            {
                executions = (await client.CallAsync("script_execution_get", new
                {
                    pagination = new { limit = 1, id_exclusive = id - 1 },
                }))["executions"]!.AsArray();
                return executions.FirstOrDefault() is JsonNode execution && execution["state"]!.GetValue<string>() is "finished" or "killed";
            },
            Eventually.DefaultTimeout,
            poll: TimeSpan.Zero);
        if (!ended)
        {
            Assert.Fail($"execution {id} did not end: {executions.ToJsonString()}");
        }
    }
}
