using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ScriptExec.Daemon.Tests;

/// <summary>Secret env entries reach the script and nothing else: no result, no log line, no command line.</summary>
public sealed class SecretEnvironmentTests
{
    private const string Secret = "s3cr3t-V4lue-9f1c";

    [Test]
    public async Task A_secret_reaches_the_script_but_no_result_and_no_log_line()
    {
        var logs = new CapturingLoggerProvider();
        await using var daemon = await DaemonUnderTest.StartAsync(null, services => services.AddSingleton<ILoggerProvider>(logs));
        await using var client = await daemon.ConnectAsync("unix");
        var results = new List<string>();
        async Task<JsonNode> Call(string method, object parameters)
        {
            var result = await client.CallAsync(method, parameters);
            results.Add(result.ToJsonString());
            return result;
        }

        await Call("script_set", new { name = "sec", source = "#!/bin/sh\n[ \"$API_KEY\" = \"" + Secret + "\" ] && echo key-ok\ncat /proc/$$/cmdline | tr '\\0' ' '\n" });
        var set = await Call("script_instance_set", new
        {
            script_name = "sec", instance_name = "i", start_trigger = new { type = "manual" },
            env = new JsonObject { ["PLAIN"] = "visible", ["API_KEY"] = new JsonObject { ["value"] = Secret, ["secret"] = true } },
        });
        var id = (await Call("script_start", new { script_name = "sec", instance_name = "i" }))["execution"]!["id"]!.GetValue<long>();
        Task<JsonNode> Ended(long execution) => Eventually.ValueAsync(
            () => Call("script_execution_output_get", new { filter = new { execution_id = execution }, pagination = new { limit = 10 } }),
            result => result["execution"]!["state"]!.GetValue<string>() != "running",
            "the run ended");

        var output = await Ended(id);

        // Write back what a UI read (the mask): the stored secret is kept.
        await Call("script_instance_set", new
        {
            script_name = "sec", instance_name = "i", start_trigger = new { type = "manual" },
            env = new JsonObject { ["API_KEY"] = new JsonObject { ["value"] = "********", ["secret"] = true } },
        });
        var second = (await Call("script_start", new { script_name = "sec", instance_name = "i" }))["execution"]!["id"]!.GetValue<long>();
        var again = await Ended(second);

        await Call("script_overview_get", new { });
        await Call("script_execution_get", new { filter = new { include_outdated = true }, pagination = new { limit = -10 } });
        await Call("status", new { });

        Assert.Multiple(() =>
        {
            Assert.That(set["env"]!["API_KEY"]!.GetValue<string>(), Is.EqualTo("********"));
            Assert.That(set["env"]!["PLAIN"]!.GetValue<string>(), Is.EqualTo("visible"));
            Assert.That(output["lines"]![0]!["content"]!.GetValue<string>(), Is.EqualTo("key-ok"), "the script got the secret");
            Assert.That(again["lines"]![0]!["content"]!.GetValue<string>(), Is.EqualTo("key-ok"), "writing the mask back kept the secret");
            Assert.That(output["lines"]![1]!["content"]!.GetValue<string>(), Does.Not.Contain(Secret), "not on the command line");
            Assert.That(results, Has.None.Contains(Secret), "no RPC result carries the secret");
            Assert.That(logs.Lines, Is.Not.Empty.And.None.Contains(Secret), "no log line carries the secret");
        });
    }
}
