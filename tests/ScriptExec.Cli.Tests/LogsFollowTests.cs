using System.Globalization;
using ScriptExec.Cli.Tests.Support;

namespace ScriptExec.Cli.Tests;

/// <summary><c>logs -f</c>: live output, each line once and in order, ending with the execution.</summary>
[TestFixture("unix")]
[TestFixture("websocket")]
public sealed class LogsFollowTests : CliFixture
{
    // Prints a line, waits for the gate file the test creates once the CLI has shown that line, then prints more.
    // The script polls for the file itself; the test only waits on conditions.
    private const string Gated = """
        echo first
        while [ ! -e "$1" ]; do sleep 0.02; done
        echo second
        echo third >&2
        """;

    public LogsFollowTests(string transport)
        : base(transport)
    {
    }

    [Test]
    public async Task Follow_prints_lines_as_they_come_and_returns_when_the_execution_ends()
    {
        var gate = Path.Combine(WorkDir, NewName("gate"));
        var (script, instance) = await CreateAsync(Gated, "--args", gate);
        var id = await StartAsync(script, instance);

        var follow = Cli.Start(["logs", id.ToString(CultureInfo.InvariantCulture), "-f"]);
        await follow.Stdout.WaitForAsync(t => t.Contains("first\n", StringComparison.Ordinal), "the first line, live");

        // The run cannot end before the gate exists, so neither can a correct follower.
        Assert.That(follow.Exit.IsCompleted, Is.False, "logs -f returned while the execution was still running");
        await File.WriteAllTextAsync(gate, string.Empty);

        var result = await follow.CompleteAsync();
        Assert.That(result.ExitCode, Is.Zero, result.ToString);
        Assert.That(result.Stdout, Is.EqualTo("first\nsecond\n"));
        Assert.That(result.Stderr, Does.StartWith("third\n-- execution ").And.EndWith(" --\n"), "the script's stderr, then how the run ended");
    }

    [Test]
    public async Task Follow_delivers_a_burst_of_lines_complete_and_in_order()
    {
        const int Count = 5000;
        var gate = Path.Combine(WorkDir, NewName("gate"));
        var (script, instance) = await CreateAsync(
            $"echo start\nwhile [ ! -e \"$1\" ]; do sleep 0.02; done\ni=1; while [ $i -le {Count} ]; do echo \"n $i\"; i=$((i+1)); done",
            "--args",
            gate);
        var id = await StartAsync(script, instance);

        var follow = Cli.Start(["logs", id.ToString(CultureInfo.InvariantCulture), "--follow"]);
        await follow.Stdout.WaitForAsync(t => t.StartsWith("start\n", StringComparison.Ordinal), "the first line, live");
        await File.WriteAllTextAsync(gate, string.Empty);

        var result = await follow.CompleteAsync();
        Assert.That(result.ExitCode, Is.Zero, result.ToString);
        var expected = new[] { "start" }.Concat(Enumerable.Range(1, Count).Select(i => "n " + i.ToString(CultureInfo.InvariantCulture)));
        Assert.That(result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(expected));
    }

    [Test]
    public async Task Follow_of_an_ended_execution_prints_everything_and_returns()
    {
        var (script, instance) = await CreateAsync("echo one; echo two");
        var (id, _) = await RunToEndAsync(script, instance);

        var result = await Cli.RunAsync("logs", id.ToString(CultureInfo.InvariantCulture), "-f");
        Assert.That((result.ExitCode, result.Stdout), Is.EqualTo((0, "one\ntwo\n")), result.ToString);
    }

    [Test]
    public async Task Follow_with_stdout_only_skips_stderr_lines()
    {
        var gate = Path.Combine(WorkDir, NewName("gate"));
        var (script, instance) = await CreateAsync(Gated, "--args", gate);
        var id = await StartAsync(script, instance);

        var follow = Cli.Start(["logs", id.ToString(CultureInfo.InvariantCulture), "-f", "--stdout"]);
        await follow.Stdout.WaitForAsync(t => t.Contains("first\n", StringComparison.Ordinal), "the first line, live");
        await File.WriteAllTextAsync(gate, string.Empty);

        var result = await follow.CompleteAsync();
        Assert.That((result.ExitCode, result.Stdout), Is.EqualTo((0, "first\nsecond\n")), result.ToString);
        Assert.That(result.Stderr, Does.StartWith("-- execution ").And.EndWith(" --\n"), "no stderr line of the script; the end");
    }
}
