using System.Globalization;
using System.Text.RegularExpressions;
using ScriptExec.Daemon.Tests.Support;

namespace ScriptExec.Daemon.Tests;

/// <summary>
/// The daemon-wide output budget over the wire (SPEC "output budget"): flooders lose lines to marker lines and count
/// them in output_dropped_lines, a quiet script keeps every line, nobody is blocked, and 0 turns the budget off.
/// </summary>
public sealed partial class OutputBudgetTests : TransportFixture
{
    private const int LinesPerSecond = 100;
    private const int FloodLines = 20_000;

    public OutputBudgetTests(string transport)
        : base(transport)
    {
    }

    // Lines only, so the test reasons about one bucket; the byte bucket works the same way (unit-tested).
    protected override string[] DaemonArguments =>
        ["--output-budget-lines-per-s", LinesPerSecond.ToString(CultureInfo.InvariantCulture), "--output-budget-bytes-per-s", "0"];

    [Test]
    public async Task Two_flooders_lose_lines_to_counted_markers_while_a_quiet_script_keeps_all_of_its_lines()
    {
        var (quietScript, quietInstance) = await CreateAsync("for i in 1 2 3 4 5 6 7 8 9 10; do echo quiet $i; sleep 0.2; done");
        var (floodScript, _) = await CreateAsync($"seq -f 'flood %g' 1 {FloodLines}");
        await Client.CallAsync("script_instance_set", new { script_name = floodScript, instance_name = "second", start_trigger = new { type = "manual" } });

        // The quiet script is active (it has a share of the budget) before the flood begins.
        var quiet = await StartAsync(quietScript, quietInstance);
        await Client.WaitForLineAsync(quiet, line => line == "quiet 1");
        var flooders = new[] { await StartAsync(floodScript, "main"), await StartAsync(floodScript, "second") };

        var quietEnd = await WaitForEndAsync(quiet);
        var status = await Client.CallAsync("status");
        long droppedInAll = 0;
        foreach (var flooder in flooders)
        {
            var end = await WaitForEndAsync(flooder);
            var lines = await Client.ReadAllLinesAsync(flooder);
            var kept = lines.Where(l => l["stream"]!.GetValue<string>() == "stdout").Select(l => l["content"]!.GetValue<string>()).ToList();
            var markers = lines.Where(l => l["stream"]!.GetValue<string>() == "stderr").Select(l => l["content"]!.GetValue<string>()).ToList();
            var markedDrops = markers.Sum(m => long.Parse(MarkerPattern().Match(m).Groups[1].Value, CultureInfo.InvariantCulture));
            var dropped = end["output_dropped_lines"]!.GetValue<long>();
            droppedInAll += dropped;
            Assert.Multiple(() =>
            {
                Assert.That(end["state"]!.GetValue<string>(), Is.EqualTo("finished"), "the flooder ran to its end");
                Assert.That(end["exit_code"]!.GetValue<int>(), Is.Zero, "the flooder was never blocked or killed");
                Assert.That(markers, Is.Not.Empty.And.All.Match(MarkerPattern()), "every dropped section is one marker line on stderr");
                Assert.That(markedDrops, Is.EqualTo(dropped), "the markers add up to output_dropped_lines");
                Assert.That(kept.Count + dropped, Is.EqualTo(FloodLines), "every line was either kept or counted as dropped");
                Assert.That(kept.Select(Number), Is.Ordered.And.Unique, "kept lines stay in order");
            });
        }

        var quietLines = await Client.ReadAllContentAsync(quiet);
        var budget = (await Client.CallAsync("status"))["budget"]!;
        Assert.Multiple(() =>
        {
            Assert.That(quietLines, Is.EqualTo(Enumerable.Range(1, 10).Select(i => $"quiet {i}")), "the quiet script lost nothing");
            Assert.That(quietEnd.AsObject().ContainsKey("output_dropped_lines"), Is.False, "absent when nothing was dropped");
            Assert.That(status["budget"]!["lines_per_s"]!.GetValue<int>(), Is.EqualTo(LinesPerSecond));
            Assert.That(budget["enabled"]!.GetValue<bool>(), Is.True);
            Assert.That(budget["dropped_lines"]!.GetValue<long>(), Is.GreaterThanOrEqualTo(droppedInAll));
        });
    }

    [Test]
    public async Task Script_execution_get_shows_output_dropped_lines_as_stored_with_the_end()
    {
        var (script, instance) = await CreateAsync($"seq 1 {FloodLines}");
        var id = await StartAsync(script, instance);
        var end = await WaitForEndAsync(id);

        var listed = (await Client.CallAsync("script_execution_get", new
        {
            filter = new { instances = new[] { new { script_name = script } } },
            pagination = new { limit = -1 },
        }))["executions"]!.AsArray().Single()!;

        Assert.That(listed["output_dropped_lines"]!.GetValue<long>(), Is.EqualTo(end["output_dropped_lines"]!.GetValue<long>()).And.Positive);
    }

    [Test]
    public async Task With_both_rates_0_the_budget_is_off_and_every_line_is_stored()
    {
        await using var daemon = await DaemonUnderTest.StartAsync(extraArgs: ["--output-budget-lines-per-s", "0", "--output-budget-bytes-per-s", "0"]);
        await using var client = await daemon.ConnectAsync(Transport);
        await client.CallAsync("script_set", new { name = "flood", source = $"seq 1 {FloodLines}" });
        await client.CallAsync("script_instance_set", new { script_name = "flood", instance_name = "i", start_trigger = new { type = "manual" } });
        var id = (await client.CallAsync("script_start", new { script_name = "flood", instance_name = "i" }))["execution"]!["id"]!.GetValue<long>();
        var end = await Eventually.ValueAsync(
            async () => (await client.CallAsync("script_execution_output_get", new { filter = new { execution_id = id }, pagination = new { limit = 1 } }))["execution"]!,
            e => e["state"]!.GetValue<string>() == "finished",
            "the flood ended");

        var lines = await client.ReadAllContentAsync(id);
        var budget = (await client.CallAsync("status"))["budget"]!;
        Assert.Multiple(() =>
        {
            Assert.That(lines, Is.EqualTo(Enumerable.Range(1, FloodLines).Select(i => i.ToString(CultureInfo.InvariantCulture))));
            Assert.That(end.AsObject().ContainsKey("output_dropped_lines"), Is.False);
            Assert.That(budget["enabled"]!.GetValue<bool>(), Is.False);
            Assert.That(budget["dropped_lines"]!.GetValue<long>(), Is.Zero);
        });
    }

    [GeneratedRegex(@"^\[scriptexec: (\d+) lines dropped by the output budget\]$")]
    private static partial Regex MarkerPattern();

    private static long Number(string floodLine) => long.Parse(floodLine["flood ".Length..], CultureInfo.InvariantCulture);

    private async Task<long> StartAsync(string script, string instance) =>
        (await Client.CallAsync("script_start", new { script_name = script, instance_name = instance }))["execution"]!["id"]!.GetValue<long>();
}
