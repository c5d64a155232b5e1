using System.Globalization;
using ScriptExec.Cli.Tests.Support;

namespace ScriptExec.Cli.Tests;

/// <summary><c>stop</c> and <c>stop --force</c>, seen from a <c>start --wait</c> that reports how the run ended.</summary>
[TestFixture("unix")]
[TestFixture("websocket")]
public sealed class StopTests : CliFixture
{
    public StopTests(string transport)
        : base(transport)
    {
    }

    [Test]
    public async Task Stop_sends_sigterm_and_start_wait_exits_143()
    {
        var (script, instance) = await CreateAsync("echo ready; exec sleep 1000");
        var waiting = Cli.Start(["start", script, instance, "--wait"]);
        await waiting.Stdout.WaitForAsync(t => t.EndsWith('\n'), "the execution id");
        var id = ParseId(waiting.Stdout.Text);

        var stop = await ExpectSuccessAsync("stop", script, instance);
        Assert.That(stop.Stdout, Does.StartWith($"{script}/{instance}: execution {id} "));

        var result = await waiting.CompleteAsync();
        Assert.That(result.ExitCode, Is.EqualTo(128 + 15), result.ToString);
        var row = (await ExpectSuccessAsync("executions", "--script", script)).Stdout.Split('\n')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(row[..5], Is.EqualTo(new[] { id.ToString(CultureInfo.InvariantCulture), script, instance, "killed", "SIGTERM" }));
    }

    [Test]
    public async Task Force_stop_kills_a_script_that_ignores_sigterm_and_start_wait_exits_137()
    {
        var (script, instance) = await CreateAsync("trap '' TERM; echo ready; while :; do sleep 1; done", "--grace", "600");
        var waiting = Cli.Start(["start", script, instance, "--wait"]);
        await waiting.Stdout.WaitForAsync(t => t.EndsWith('\n'), "the execution id");

        // Only once the trap is set does SIGTERM go unheeded.
        var follow = Cli.Start(["logs", ParseId(waiting.Stdout.Text).ToString(CultureInfo.InvariantCulture), "-f"]);
        await follow.Stdout.WaitForAsync(t => t.Contains("ready\n", StringComparison.Ordinal), "the script to be ready");

        Assert.That((await ExpectSuccessAsync("stop", script, instance)).Stdout, Does.EndWith(" terminating\n"));
        await ExpectSuccessAsync("stop", script, instance, "--force");

        var result = await waiting.CompleteAsync();
        Assert.That(result.ExitCode, Is.EqualTo(128 + 9), result.ToString);
        Assert.That((await follow.CompleteAsync()).ExitCode, Is.EqualTo(128 + 9), "logs -f ends with the execution and its status");
    }

    [Test]
    public async Task Stop_of_an_instance_that_is_not_running_exits_1_with_the_reason()
    {
        var (script, instance) = await CreateAsync("true");
        await RunToEndAsync(script, instance);

        var stop = await Cli.RunAsync("stop", script, instance);
        Assert.That(stop.ExitCode, Is.EqualTo(ExitCodes.ApplicationError));
        Assert.That(stop.Stderr, Does.StartWith("scriptexec: ").And.EndWith(" (not_running)\n"));
    }
}
