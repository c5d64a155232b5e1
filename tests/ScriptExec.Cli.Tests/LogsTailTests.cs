using System.Globalization;
using System.Text.Json.Nodes;
using ScriptExec.Cli.Tests.Support;

namespace ScriptExec.Cli.Tests;

/// <summary><c>logs -n N</c> (the last N lines, also before <c>-f</c>) and how <c>logs -f</c> ends: the end on stderr, the script's status as its own.</summary>
public sealed class LogsTailTests : CliFixture
{
    // 2 × 1300 lines, stdout and stderr alternating: more than two of the daemon's pages, so the end must be searched.
    private const string Alternating = "i=1; while [ $i -le 1300 ]; do echo \"o $i\"; echo \"e $i\" >&2; i=$((i+1)); done";

    [Test]
    public async Task Lines_shows_the_last_n_lines_of_both_streams_or_of_one()
    {
        var (script, instance) = await CreateAsync(Alternating);
        var (id, _) = await RunToEndAsync(script, instance);
        var text = id.ToString(CultureInfo.InvariantCulture);

        // Between the two streams the stored order is the daemon's arrival order, not stable (docs/API.md): take it from the store.
        var all = (await ExpectSuccessAsync("logs", text, "--json")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var lastThree = all[^3..].Select(l => JsonNode.Parse(l)!).ToList();
        string Of(string stream) => string.Concat(lastThree.Where(l => l["stream"]!.GetValue<string>() == stream).Select(l => l["content"]!.GetValue<string>() + "\n"));

        var both = await ExpectSuccessAsync("logs", text, "-n", "3");
        var stdout = await ExpectSuccessAsync("logs", text, "--lines", "2", "--stdout");
        var stderr = await ExpectSuccessAsync("logs", text, "-n", "1500", "--stderr");
        var none = await ExpectSuccessAsync("logs", text, "-n", "0");
        var json = await ExpectSuccessAsync("logs", text, "-n", "1", "--json");

        Assert.Multiple(() =>
        {
            Assert.That(all, Has.Length.EqualTo(2600));
            Assert.That((both.Stdout, both.Stderr), Is.EqualTo((Of("stdout"), Of("stderr"))));
            Assert.That((stdout.Stdout, stdout.Stderr), Is.EqualTo(("o 1299\no 1300\n", string.Empty)));
            Assert.That(stderr.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(Enumerable.Range(1, 1300).Select(i => $"e {i}")),
                "more lines asked than the stream has: all of them");
            Assert.That((none.Stdout, none.Stderr), Is.EqualTo((string.Empty, string.Empty)));
            Assert.That(json.Stdout, Is.EqualTo(all[^1] + "\n"));
        });
    }

    [Test]
    public async Task Lines_of_a_short_output_and_of_none()
    {
        var (script, instance) = await CreateAsync("echo a; echo b; echo c");
        var (id, _) = await RunToEndAsync(script, instance);
        var (silent, silentInstance) = await CreateAsync("true");
        var (quiet, _) = await RunToEndAsync(silent, silentInstance);

        Assert.Multiple(async () =>
        {
            Assert.That((await ExpectSuccessAsync("logs", id.ToString(CultureInfo.InvariantCulture), "-n", "2")).Stdout, Is.EqualTo("b\nc\n"));
            Assert.That((await ExpectSuccessAsync("logs", quiet.ToString(CultureInfo.InvariantCulture), "-n", "5")).Stdout, Is.Empty);
        });
    }

    [Test]
    public async Task Lines_with_follow_shows_the_last_lines_then_follows_to_the_end()
    {
        var gate = Path.Combine(WorkDir, NewName("gate"));
        // One stream: lines of stdout and stderr are numbered as the daemon reads them, and when both pipes hold
        // data at once either may be read first, so an order across streams is no fixed last two lines.
        var (script, instance) = await CreateAsync("echo 1; echo 2; echo 3; echo ready; while [ ! -e \"$1\" ]; do sleep 0.02; done; echo 4", "--args", gate);
        var id = await StartAsync(script, instance);
        await Eventually.ThatAsync(
            async () => (await ExpectSuccessAsync("logs", id.ToString(CultureInfo.InvariantCulture))).Stdout.Contains("ready", StringComparison.Ordinal),
            "the script waits for its gate");

        var follow = Cli.Start(["logs", id.ToString(CultureInfo.InvariantCulture), "-n", "2", "-f"]);
        await follow.Stdout.WaitForAsync(t => t.Contains("ready\n", StringComparison.Ordinal), "the last two lines");
        Assert.That(follow.Exit.IsCompleted, Is.False, "logs -n 2 -f returned while the execution was still running");
        await File.WriteAllTextAsync(gate, string.Empty);

        var result = await follow.CompleteAsync();
        Assert.That(result.ExitCode, Is.Zero, result.ToString);
        Assert.That(result.Stdout, Is.EqualTo("3\nready\n4\n"));
        Assert.That(result.Stderr, Does.Match($"^-- execution {id} finished: exit code 0, [0-9.]+m?s --\n$"));
    }

    [Test]
    public async Task Follow_exits_with_the_scripts_exit_code_and_prints_the_end()
    {
        var (script, instance) = await CreateAsync("echo out; exit 3");
        var (id, _) = await RunToEndAsync(script, instance);

        var result = await Cli.RunAsync("logs", id.ToString(CultureInfo.InvariantCulture), "-f");

        Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString);
        Assert.That(result.Stdout, Is.EqualTo("out\n"));
        Assert.That(result.Stderr, Does.Match($"^-- execution {id} finished: exit code 3, [0-9.]+m?s --\n$"));
    }

    [Test]
    public async Task Follow_of_a_stopped_run_exits_128_plus_the_signal_and_names_it_and_who_stopped_it()
    {
        var (script, instance) = await CreateAsync("echo up; exec sleep 1000");
        var id = await StartAsync(script, instance);
        var follow = Cli.Start(["logs", id.ToString(CultureInfo.InvariantCulture), "-f"]);
        await follow.Stdout.WaitForAsync(t => t.Contains("up\n", StringComparison.Ordinal), "the first line");

        await ExpectSuccessAsync("stop", script, instance);

        var result = await follow.CompleteAsync();
        Assert.That(result.ExitCode, Is.EqualTo(128 + 15), result.ToString);
        Assert.That(result.Stderr, Does.Match($"^-- execution {id} killed: SIGTERM, [0-9.hms]+, stopped by manual \\([^)]+\\) --\n$"));
    }

    [TestCase("-n", "-1")]
    [TestCase("-n", "many")]
    [TestCase("--lines")]
    public async Task A_bad_line_count_is_a_usage_error(params string[] options)
    {
        var result = await Cli.RunAsync(["logs", "1", .. options]);
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Usage), result.ToString);
        Assert.That(result.Stderr, Does.StartWith("scriptexec: ").And.Contain("--lines"));
    }
}
