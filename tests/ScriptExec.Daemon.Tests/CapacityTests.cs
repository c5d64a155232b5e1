namespace ScriptExec.Daemon.Tests;

/// <summary>The concurrent-execution limit, on a daemon started with --max-concurrent-executions 1.</summary>
public sealed class CapacityTests
{
    [Test]
    public async Task Start_beyond_the_concurrency_limit_is_refused_with_capacity()
    {
        await using var daemon = await DaemonUnderTest.StartAsync(extraArgs: ["--max-concurrent-executions", "1"]);
        await using var client = await daemon.ConnectAsync("unix");
        await client.CallAsync("script_set", new { name = "long", source = "exec sleep 60" });
        await client.CallAsync("script_instance_set", new { script_name = "long", instance_name = "a", start_trigger = new { type = "manual" } });
        await client.CallAsync("script_instance_set", new { script_name = "long", instance_name = "b", start_trigger = new { type = "manual" } });

        await client.CallAsync("script_start", new { script_name = "long", instance_name = "a" });
        var error = await client.CallErrorAsync("script_start", new { script_name = "long", instance_name = "b" });
        await client.CallAsync("script_stop", new { script_name = "long", instance_name = "a", force = true });

        Assert.Multiple(() =>
        {
            Assert.That(error["code"]!.GetValue<int>(), Is.EqualTo(1005));
            Assert.That(error["data"]!["reason"]!.GetValue<string>(), Is.EqualTo("capacity"));
        });
    }
}
