using ScriptExec.Daemon.Tests.Support;

namespace ScriptExec.Daemon.Tests;

public sealed class StatusTests : TransportFixture
{
    public StatusTests(string transport)
        : base(transport)
    {
    }

    [Test]
    public async Task Status_reports_version_pid_store_limits_and_this_client()
    {
        var status = await Client.CallAsync("status");

        Assert.Multiple(() =>
        {
            Assert.That(status["version"]!.GetValue<string>(), Is.Not.Empty);
            Assert.That(status["pid"]!.GetValue<int>(), Is.EqualTo(Daemon.Pid));
            Assert.That(status["store"]!["path"]!.GetValue<string>(), Does.StartWith(Daemon.DataDir));
            Assert.That(status["limits"]!["max_message_bytes"]!.GetValue<int>(), Is.EqualTo(1024 * 1024));
            Assert.That(status["clients"]![Transport]!.GetValue<int>(), Is.GreaterThanOrEqualTo(1));
        });
    }

    [Test]
    public async Task Status_reports_the_size_of_the_store()
    {
        var status = await Client.CallAsync("status");

        Assert.That(status["store"]!["size_bytes"]!.GetValue<long>(), Is.GreaterThan(0));
    }

    [Test]
    public async Task Status_counts_finished_runs_by_exit_code()
    {
        var (script, instance) = await CreateAsync("exit 0");
        var (failing, failingInstance) = await CreateAsync("exit 4");
        var before = await Client.CallAsync("status");

        var ok = (await Client.CallAsync("script_start", new { script_name = script, instance_name = instance }))["execution"]!["id"]!.GetValue<long>();
        var bad = (await Client.CallAsync("script_start", new { script_name = failing, instance_name = failingInstance }))["execution"]!["id"]!.GetValue<long>();
        await WaitForEndAsync(ok);
        await WaitForEndAsync(bad);
        var after = await Client.CallAsync("status");
        var only = await Client.CallAsync("status", new { filter = new { instances = new[] { new { script_name = failing } } } });

        long Count(System.Text.Json.Nodes.JsonNode s, string key) => s["executions"]![key]!.GetValue<long>();
        Assert.Multiple(() =>
        {
            Assert.That(Count(after, "finished_exit_zero") - Count(before, "finished_exit_zero"), Is.EqualTo(1));
            Assert.That(Count(after, "finished_exit_non_zero") - Count(before, "finished_exit_non_zero"), Is.EqualTo(1));
            Assert.That(Count(only, "total"), Is.EqualTo(1));
            Assert.That(only["durations"]!["count"]!.GetValue<long>(), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Status_lists_running_executions_with_their_pid()
    {
        var (script, instance) = await CreateAsync("exec sleep 30");
        var started = (await Client.CallAsync("script_start", new { script_name = script, instance_name = instance }))["execution"]!;

        var running = (await Client.CallAsync("status"))["running"]!.AsArray().Single(r => r!["id"]!.GetValue<long>() == started["id"]!.GetValue<long>())!;
        await Client.CallAsync("script_stop", new { script_name = script, instance_name = instance, force = true });

        Assert.Multiple(() =>
        {
            Assert.That(running["pid"]!.GetValue<int>(), Is.EqualTo(started["pid"]!.GetValue<int>()));
            Assert.That(running["script_name"]!.GetValue<string>(), Is.EqualTo(script));
            Assert.That(running["state"]!.GetValue<string>(), Is.EqualTo("running"));
        });
    }
}
