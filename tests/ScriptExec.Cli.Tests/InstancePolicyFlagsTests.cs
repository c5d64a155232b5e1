using System.Text.Json.Nodes;
using ScriptExec.Cli.Tests.Support;

namespace ScriptExec.Cli.Tests;

/// <summary><c>instance set</c>'s flags for the rest of <c>script_instance_set</c>: secrets, role, limits, restart policy, overlap, catch-up, enabled.</summary>
public sealed class InstancePolicyFlagsTests : CliFixture
{
    [Test]
    public async Task Every_policy_flag_reaches_the_daemon_as_its_field()
    {
        var (script, instance) = await CreateAsync("true");

        await ExpectSuccessAsync(
            "instance", "set", script, instance, "--start-trigger", "scheduler:0 3 * * *",
            "--env", "MODE=demo", "--secret-env", "API_KEY=s3cr3t-value", "--role", "viewer",
            "--limit", "cpu_s=60", "--limit", "open_files=256", "--limit", "nice=5", "--limit", "file_size_mb=unlimited",
            "--restart", "on-failure", "--restart-delay", "2", "--restart-max-delay", "30", "--restart-max", "7", "--restart-window", "600",
            "--overlap", "queue", "--catch-up", "--disabled");
        var shown = await GetAsync(script, instance);

        Assert.Multiple(() =>
        {
            Assert.That(shown["env"]!.ToJsonString(), Is.EqualTo("""{"MODE":"demo","API_KEY":"********"}"""));
            Assert.That(shown["role"]!.GetValue<string>(), Is.EqualTo("viewer"));
            Assert.That(shown["limits"]!["cpu_s"]!.GetValue<double>(), Is.EqualTo(60));
            Assert.That(shown["limits"]!["open_files"]!.GetValue<double>(), Is.EqualTo(256));
            Assert.That(shown["limits"]!["nice"]!.GetValue<double>(), Is.EqualTo(5));
            Assert.That(shown["restart"]!.ToJsonString(), Is.EqualTo("""{"on":"failure","delay_s":2,"max_delay_s":30,"max_restarts":7,"window_s":600}"""));
            Assert.That(shown["overlap"]!.GetValue<string>(), Is.EqualTo("queue"));
            Assert.That(shown["catch_up"]!.GetValue<bool>(), Is.True);
            Assert.That(shown["enabled"]!.GetValue<bool>(), Is.False);
        });
    }

    [Test]
    public async Task Restart_always_and_enabled_and_a_plain_set_that_keeps_the_paused_state()
    {
        var (script, instance) = await CreateAsync("true");
        await ExpectSuccessAsync("instance", "set", script, instance, "--disabled");
        await ExpectSuccessAsync("instance", "set", script, instance, "--restart", "always");
        var kept = await GetAsync(script, instance);
        await ExpectSuccessAsync("instance", "set", script, instance, "--enabled", "--restart", "no");
        var enabled = await GetAsync(script, instance);

        Assert.Multiple(() =>
        {
            Assert.That(kept["enabled"]!.GetValue<bool>(), Is.False, "neither flag: the instance stays as it was");
            Assert.That(kept["restart"]!["on"]!.GetValue<string>(), Is.EqualTo("always"));
            Assert.That(enabled["enabled"]!.GetValue<bool>(), Is.True);
            Assert.That(enabled["restart"], Is.Null, "--restart no: no policy");
        });
    }

    [TestCase("--restart-delay", "5")]
    [TestCase("--restart", "sometimes")]
    [TestCase("--limit", "cpu_s")]
    [TestCase("--limit", "cpu_s=lots")]
    [TestCase("--secret-env", "NOVALUE")]
    [TestCase("--enabled", "--disabled")]
    public async Task A_malformed_flag_is_a_usage_error_naming_it(string flag, string value)
    {
        var result = await Cli.RunAsync("instance", "set", "any", "any", flag, value);

        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Usage), result.ToString);
        Assert.That(result.Stderr, Does.StartWith("scriptexec: ").And.Contain(flag));
    }

    [TestCase("--overlap", "sometimes", "overlap")]
    [TestCase("--role", "root", "role")]
    [TestCase("--limit", "nice=40", "limits.nice")]
    public async Task A_value_the_daemon_refuses_is_a_usage_error_naming_the_field(string flag, string value, string field)
    {
        var (script, instance) = await CreateAsync("true");

        var result = await Cli.RunAsync("instance", "set", script, instance, flag, value);

        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Usage), result.ToString);
        Assert.That(result.Stderr, Does.Contain(field));
    }

    private async Task<JsonNode> GetAsync(string script, string instance) =>
        JsonNode.Parse((await ExpectSuccessAsync("--json", "instance", "get", script, instance)).Stdout)!;
}
