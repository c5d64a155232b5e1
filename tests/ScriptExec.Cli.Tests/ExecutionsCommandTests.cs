using System.Globalization;
using System.Text.Json.Nodes;
using ScriptExec.Cli.Tests.Support;

namespace ScriptExec.Cli.Tests;

/// <summary><c>executions</c>: journalctl's time forms over the wire, running runs' elapsed time, the <c>--outdated</c> hint.</summary>
public sealed class ExecutionsCommandTests : CliFixture
{
    private static readonly string[] Before = ["yesterday", "-1h", "1h", "1 hour ago", "-2d", "epoch", "@START-3600", "START-3600", "ISO-3600", "LOCAL-3600", "LOCALMIN-120"];
    private static readonly string[] After = ["tomorrow", "+1h", "1h left", "@START+3600", "START+3600", "ISO+3600", "LOCAL+3600"];

    /// <summary>Replaces the placeholders with times relative to the run's own start (local time as the CLI reads it).</summary>
    private static string Resolve(string form, long start)
    {
        if (!form.Contains("START", StringComparison.Ordinal) && !form.Contains("ISO", StringComparison.Ordinal) && !form.Contains("LOCAL", StringComparison.Ordinal))
        {
            return form;
        }

        var sign = form.Contains('+', StringComparison.Ordinal) ? 1 : -1;
        var seconds = start + (sign * long.Parse(form[(form.LastIndexOfAny(['+', '-']) + 1)..], CultureInfo.InvariantCulture));
        var instant = DateTimeOffset.FromUnixTimeSeconds(seconds);
        var local = TimeZoneInfo.ConvertTime(instant, TimeZoneInfo.Local);
        return form switch
        {
            _ when form.StartsWith('@') => "@" + seconds.ToString(CultureInfo.InvariantCulture),
            _ when form.StartsWith("START", StringComparison.Ordinal) => seconds.ToString(CultureInfo.InvariantCulture),
            _ when form.StartsWith("ISO", StringComparison.Ordinal) => instant.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            _ when form.StartsWith("LOCALMIN", StringComparison.Ordinal) => local.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
            _ => local.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        };
    }

    [Test]
    public async Task Since_and_until_take_journalctls_time_forms()
    {
        var (script, instance) = await CreateAsync("true");
        var (id, _) = await RunToEndAsync(script, instance);
        var start = (await ReadAsync(script)).Single()["start_timestamp"]!.GetValue<long>();

        var failures = new List<string>();
        async Task ExpectAsync(string option, string form, bool listed)
        {
            var text = Resolve(form, start);
            var rows = await ReadAsync(script, option, text);
            if (rows.Select(r => r["id"]!.GetValue<long>()).SequenceEqual(listed ? [id] : []) is false)
            {
                failures.Add($"{option} '{text}' ({form}): expected the run {(listed ? "listed" : "not listed")}");
            }
        }

        foreach (var form in Before)
        {
            await ExpectAsync("--since", form, listed: true);
            await ExpectAsync("--until", form, listed: false);
        }

        foreach (var form in After)
        {
            await ExpectAsync("--since", form, listed: false);
            await ExpectAsync("--until", form, listed: true);
        }

        Assert.That(failures, Is.Empty);
    }

    [Test]
    public async Task A_time_it_cannot_read_is_a_usage_error_naming_the_option()
    {
        var result = await Cli.RunAsync("executions", "--until", "last tuesday");

        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Usage), result.ToString);
        Assert.That(result.Stderr, Does.StartWith("scriptexec: --until: 'last tuesday' is not a time; use e.g. "));
    }

    [Test]
    public async Task A_running_run_shows_the_time_since_it_started_marked_as_growing()
    {
        var (script, instance) = await CreateAsync("exec sleep 1000");
        var id = await StartAsync(script, instance);
        try
        {
            var row = (await ExpectSuccessAsync("executions", "--script", script)).Stdout.Split('\n')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var status = (await ExpectSuccessAsync("status")).Stdout.Split('\n').Single(l => l.Contains($"#{id} ", StringComparison.Ordinal));

            Assert.Multiple(() =>
            {
                Assert.That(row[3], Is.EqualTo("running"));
                Assert.That(row[5], Does.Match(@"^\d+s…$"), "DURATION of a running run");
                Assert.That(status, Does.Match(@", \d+s…$"), "status: the running line ends with the elapsed time");
            });
        }
        finally
        {
            await ExpectSuccessAsync("stop", script, instance, "--force");
        }
    }

    [Test]
    public async Task Runs_hidden_as_outdated_are_announced_on_stderr_with_the_flag_that_shows_them()
    {
        var (script, instance) = await CreateAsync("echo v1");
        var (old, _) = await RunToEndAsync(script, instance);
        var plain = await ExpectSuccessAsync("executions", "--script", script);
        await ExpectSuccessAsync("script", "set", script, WriteFile("echo v2"));
        var (current, _) = await RunToEndAsync(script, instance);

        var hiding = await ExpectSuccessAsync("executions", "--script", script);
        var showing = await ExpectSuccessAsync("executions", "--script", script, "--outdated");
        var json = await ExpectSuccessAsync("executions", "--script", script, "--json");

        static long[] Ids(string stdout) => [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..].Select(r => long.Parse(r.Split(' ')[0], CultureInfo.InvariantCulture))];
        Assert.Multiple(() =>
        {
            Assert.That(plain.Stderr, Is.Empty, "nothing hidden, no hint");
            Assert.That(Ids(hiding.Stdout), Is.EqualTo(new[] { current }));
            Assert.That(hiding.Stderr, Is.EqualTo("scriptexec: 1 run of an earlier script version is hidden; --outdated shows them (marked *)\n"));
            Assert.That(Ids(showing.Stdout), Is.EqualTo(new[] { current, old }));
            Assert.That(showing.Stdout, Does.Contain("finished*"));
            Assert.That(showing.Stderr, Is.Empty);
            Assert.That(json.Stderr, Is.Empty, "--json prints the daemon's result alone");
        });
    }

    private async Task<List<JsonNode>> ReadAsync(string script, params string[] options)
    {
        var result = await ExpectSuccessAsync(["executions", "--script", script, "--json", .. options]);
        return [.. JsonNode.Parse(result.Stdout)!["executions"]!.AsArray().Select(e => e!)];
    }
}
