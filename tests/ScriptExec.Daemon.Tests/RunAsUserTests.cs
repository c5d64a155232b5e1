using ScriptExec.Daemon.Tests.Support;

namespace ScriptExec.Daemon.Tests;

/// <summary>Instances with <c>user</c> run as that user (the daemon runs as root in this test environment).</summary>
public sealed class RunAsUserTests : TransportFixture
{
    public RunAsUserTests(string transport)
        : base(transport)
    {
    }

    [TestCase("#!/bin/sh\nid -un\nid -gn\necho \"$HOME $USER\"\n", TestName = "Shebang script runs as the instance's user")]
    [TestCase("id -un\nid -gn\necho \"$HOME $USER\"\n", TestName = "Script without shebang runs as the instance's user")]
    public async Task Script_runs_as_the_configured_user(string source)
    {
        Assume.That(Environment.UserName, Is.EqualTo("root"), "running as another user needs root");
        var (script, instance) = await CreateAsync(source, new { user = "nobody" });

        var id = (await Client.CallAsync("script_start", new { script_name = script, instance_name = instance }))["execution"]!["id"]!.GetValue<long>();
        var ended = await WaitForEndAsync(id);
        var lines = (await Client.CallAsync("script_execution_output_get", new { filter = new { execution_id = id }, pagination = new { limit = 10 } }))["lines"]!
            .AsArray().Select(l => l!["content"]!.GetValue<string>()).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(ended["exit_code"]!.GetValue<int>(), Is.EqualTo(0), string.Join("\n", lines));
            Assert.That(lines, Is.EqualTo(new[] { "nobody", "nogroup", "/nonexistent nobody" }));
        });
    }
}
