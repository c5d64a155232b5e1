using ScriptExec.Cli.Tests.Support;

namespace ScriptExec.Cli.Tests;

/// <summary><c>enable</c>, <c>disable</c> and <c>restart</c>: an instance's lifecycle from the command line.</summary>
public sealed class LifecycleCommandTests : CliFixture
{
    [Test]
    public async Task Disable_refuses_starts_with_the_reason_and_enable_allows_them_again()
    {
        var (script, instance) = await CreateAsync("true");

        var disable = await ExpectSuccessAsync("disable", script, instance);
        var refused = await Cli.RunAsync("start", script, instance);
        var enable = await ExpectSuccessAsync("enable", script, instance);
        var (_, exitCode) = await RunToEndAsync(script, instance);

        Assert.Multiple(() =>
        {
            Assert.That(disable.Stdout, Is.EqualTo($"{script}/{instance}: disabled\n"));
            Assert.That(refused.ExitCode, Is.EqualTo(ExitCodes.ApplicationError));
            Assert.That(refused.Stderr, Does.Contain("disabled").And.EndWith(" (conflict)\n"));
            Assert.That(enable.Stdout, Is.EqualTo($"{script}/{instance}: enabled\n"));
            Assert.That(exitCode, Is.Zero);
        });
    }

    [Test]
    public async Task Restart_stops_the_running_execution_then_starts_a_new_one()
    {
        var (script, instance) = await CreateAsync("exec sleep 1000");
        var first = await StartAsync(script, instance);

        var restart = await ExpectSuccessAsync("restart", script, instance);
        var second = ParseId(restart.Stdout);
        var rows = (await ExpectSuccessAsync("executions", "--script", script)).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..]
            .Select(r => r.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        await ExpectSuccessAsync("stop", script, instance, "--force");

        Assert.Multiple(() =>
        {
            Assert.That(second, Is.GreaterThan(first));
            Assert.That(rows.Select(r => (r[0], r[3])), Is.EqualTo(new[] { (second.ToString(), "running"), (first.ToString(), "killed") }));
        });
    }

    [Test]
    public async Task Restart_of_an_instance_that_is_not_running_starts_it()
    {
        var (script, instance) = await CreateAsync("true");

        var restart = await ExpectSuccessAsync("restart", script, instance);

        Assert.That(ParseId(restart.Stdout), Is.GreaterThan(0));
    }
}

/// <summary><c>instance get</c>: the configuration with its policy, then what is pending and the last run.</summary>
public sealed class InstanceGetCommandTests : CliFixture
{
    [Test]
    public async Task Instance_get_shows_policy_limits_next_start_and_the_last_run()
    {
        var (script, instance) = await CreateAsync("exit 3");
        await using (var rpc = await Daemon.ConnectAsync("unix"))
        {
            // A restart far in the future: pending, so the overview has its time.
            await rpc.CallAsync("script_instance_set", new
            {
                script_name = script, instance_name = instance, start_trigger = new { type = "manual" },
                restart = new { on = "failure", delay_s = 3600 }, limits = new { open_files = 64 },
            });
        }

        var (id, _) = await RunToEndAsync(script, instance);
        var shown = await Eventually.ValueAsync(
            async () => (await ExpectSuccessAsync("instance", "get", script, instance)).Stdout,
            s => !s.Contains("next_start: -", StringComparison.Ordinal),
            "the pending restart shows");
        var json = await ExpectSuccessAsync("--json", "instance", "get", script, instance);

        Assert.Multiple(() =>
        {
            Assert.That(shown, Does.StartWith($"{script}/{instance}\n"));
            Assert.That(shown, Does.Contain("  enabled: true\n"));
            Assert.That(shown, Does.Contain("  limits: {\"open_files\":64}\n"));
            Assert.That(shown, Does.Contain("  restart: {\"on\":\"failure\"").And.Contain("\"delay_s\":3600"));
            Assert.That(shown, Does.Contain("  overlap: skip\n"));
            Assert.That(shown, Does.Match(@"  next_start: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n"));
            Assert.That(shown, Does.Contain($"  last_execution: {id} finished\n"));
            Assert.That(json.Stdout, Does.Contain("\"script_name\"").And.Contain("\"restart\""));
        });

        await ExpectSuccessAsync("disable", script, instance);
    }
}
