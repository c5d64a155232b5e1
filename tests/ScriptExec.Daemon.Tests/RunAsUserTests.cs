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

        var (ended, lines) = await RunAsync(script, instance);

        Assert.Multiple(() =>
        {
            Assert.That(ended["exit_code"]!.GetValue<int>(), Is.EqualTo(0), string.Join("\n", lines));
            Assert.That(lines, Is.EqualTo(new[] { "nobody", "nogroup", "/nonexistent nobody" }));
        });
    }

    [Test]
    public async Task Working_directory_is_entered_as_the_run_as_user()
    {
        Assume.That(Environment.UserName, Is.EqualTo("root"), "running as another user needs root");
        var (script, instance) = await CreateAsync("#!/bin/sh\npwd\n", new { user = "nobody", working_dir = "/tmp" });

        var (ended, lines) = await RunAsync(script, instance);

        Assert.Multiple(() =>
        {
            Assert.That(ended["exit_code"]!.GetValue<int>(), Is.EqualTo(0), string.Join("\n", lines));
            Assert.That(lines, Is.EqualTo(new[] { "/tmp" }));
        });
    }

    [Test]
    public async Task Working_directory_the_user_cannot_enter_fails_the_run()
    {
        Assume.That(Environment.UserName, Is.EqualTo("root"), "running as another user needs root");
        Assume.That(File.GetUnixFileMode("/root").HasFlag(UnixFileMode.OtherExecute), Is.False, "/root must be closed to others");
        var (script, instance) = await CreateAsync("#!/bin/sh\npwd\n", new { user = "nobody", working_dir = "/root" });

        var (ended, lines) = await RunAsync(script, instance);

        Assert.Multiple(() =>
        {
            Assert.That(ended["state"]!.GetValue<string>(), Is.EqualTo("finished"));
            Assert.That(ended["exit_code"]!.GetValue<int>(), Is.EqualTo(125), string.Join("\n", lines));
            Assert.That(lines, Has.None.EqualTo("/root"));
            Assert.That(lines, Has.Some.Contains("/root").And.Contains("Permission denied"));
        });
    }

    private async Task<(System.Text.Json.Nodes.JsonNode Ended, List<string> Lines)> RunAsync(string script, string instance)
    {
        var id = (await Client.CallAsync("script_start", new { script_name = script, instance_name = instance }))["execution"]!["id"]!.GetValue<long>();
        var ended = await WaitForEndAsync(id);
        var lines = (await Client.CallAsync("script_execution_output_get", new { filter = new { execution_id = id }, pagination = new { limit = 10 } }))["lines"]!
            .AsArray().Select(l => l!["content"]!.GetValue<string>()).ToList();
        return (ended, lines);
    }
}
