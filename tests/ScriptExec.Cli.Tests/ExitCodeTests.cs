using ScriptExec.Cli.Tests.Support;

namespace ScriptExec.Cli.Tests;

/// <summary>The exit codes scripts rely on: 1 refused, 2 usage, 3 unreachable, and the script's own status with --wait.</summary>
public sealed class ExitCodeTests : CliFixture
{
    [Test]
    public async Task Not_found_exits_1_and_prints_message_and_reason()
    {
        var result = await Cli.RunAsync("script", "get", "no-such-script");
        Assert.That(result.ExitCode, Is.EqualTo(1));
        Assert.That(result.Stderr, Is.EqualTo("scriptexec: script 'no-such-script' does not exist (not_found)\n"));
        Assert.That(result.Stdout, Is.Empty);
    }

    [Test]
    public async Task Already_running_exits_1()
    {
        var (script, instance) = await CreateAsync("exec sleep 1000");
        await StartAsync(script, instance);

        var again = await Cli.RunAsync("start", script, instance);
        Assert.That(again.ExitCode, Is.EqualTo(1), again.ToString);
        Assert.That(again.Stderr, Does.EndWith(" (already_running)\n"));
        await ExpectSuccessAsync("stop", script, instance, "--force");
    }

    [TestCase("--bogus")]
    [TestCase("status", "--bogus")]
    [TestCase("start", "only-script")]
    [TestCase("executions", "--limit", "many")]
    [TestCase("executions", "--limit", "0")]
    [TestCase("executions", "--state", "sleeping")]
    [TestCase("logs", "1", "--stdout", "--stderr")]
    [TestCase("instance", "set", "a", "b", "--env", "NOEQUALS")]
    [TestCase("frobnicate")]
    [TestCase("script")]
    [TestCase("--json")]
    public async Task Usage_errors_exit_2_with_a_hint(params string[] args)
    {
        var result = await Cli.RunAsync(args);
        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString);
        Assert.That(result.Stderr, Does.StartWith("scriptexec: ").And.EndWith("Try 'scriptexec --help' for more information.\n"));
    }

    [Test]
    public async Task A_value_the_daemon_rejects_exits_2()
    {
        var (script, _) = await CreateAsync("true");
        var result = await Cli.RunAsync("instance", "set", script, "cron", "--start-trigger", "schedule:every tuesday");
        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString);
        Assert.That(result.Stderr, Does.Contain("start_trigger.setting"));
    }

    [Test]
    public async Task A_request_over_the_daemons_size_limit_exits_4_with_its_message()
    {
        var result = await Cli.RunAsync("script", "set", NewName(), WriteFile("#" + new string('x', 2 * 1024 * 1024)));
        Assert.That(result.ExitCode, Is.EqualTo(4), result.ToString);
        Assert.That(result.Stderr, Does.StartWith("scriptexec: Invalid Request"));
    }

    [Test]
    public async Task No_daemon_exits_3()
    {
        var cli = new CliRunner(["--socket", Path.Combine(WorkDir, "nobody-listens.sock")]);
        var result = await cli.RunAsync("status");
        Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString);
        Assert.That(result.Stderr, Does.StartWith("scriptexec: cannot connect to scriptexecd at ").And.Contain("nobody-listens.sock"));
    }

    [TestCase("exit 0", 0)]
    [TestCase("exit 7", 7)]
    [TestCase("exit 255", 255)]
    [TestCase("kill -KILL $$", 137)]
    [TestCase("kill -TERM $$", 143)]
    public async Task Start_wait_exits_with_the_script_status_as_a_shell_would(string source, int expected)
    {
        var (script, instance) = await CreateAsync(source);
        var (_, exitCode) = await RunToEndAsync(script, instance);
        Assert.That(exitCode, Is.EqualTo(expected));
    }

    [Test]
    public async Task Help_lists_commands_and_exit_codes()
    {
        var result = await Cli.RunAsync("--help");
        Assert.That(result.ExitCode, Is.Zero);
        Assert.That(result.Stdout, Does.Contain("Exit codes:").And.Contain("logs ID [-n N] [-f]").And.Contain("128+N"));
        Assert.That((await Cli.RunAsync("logs", "--help")).Stdout, Is.EqualTo(result.Stdout));
    }

    [Test]
    public async Task Version_prints_the_version()
    {
        var result = await Cli.RunAsync("--version");
        Assert.That((result.ExitCode, result.Stdout), Is.EqualTo((0, "scriptexec 0.1.0\n")));
    }
}
