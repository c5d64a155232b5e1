using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using ScriptExec.Supervisor.Processes;
using ScriptExec.Supervisor.Runtime;

namespace ScriptExec.Supervisor.Tests.Processes;

/// <summary>The capture path with the output budget and the secret masker wired in (a frozen clock: the budget never refills).</summary>
public class OutputCaptureBudgetTests
{
    private ScriptDirectory _scripts = null!;
    private FakeTimeProvider _time = null!;

    [SetUp]
    public void SetUp()
    {
        _scripts = new ScriptDirectory();
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero));
    }

    [TearDown]
    public void TearDown() => _scripts.Dispose();

    private async Task<RecordingSink> Capture(string body, OutputCaptureOptions options)
    {
        var sink = new RecordingSink();
        using var process = _scripts.Run(body, sink, options);
        var outcome = await ProcessWait.Outcome(process);
        Assert.That(outcome.ExitCode, Is.EqualTo(0));
        return sink;
    }

    [Test]
    public async Task Lines_past_the_budget_become_one_marker_line_on_stderr_and_are_counted()
    {
        var budget = new OutputBudget(new OutputBudgetOptions(BytesPerSecond: 0, LinesPerSecond: 10), _time);

        var sink = await Capture("seq 1 300", new OutputCaptureOptions { Budget = budget, BudgetKey = 7 });

        var kept = Enumerable.Range(1, 10).Select(i => i.ToString(CultureInfo.InvariantCulture));
        Assert.That(sink.Stdout, Is.EqualTo(kept));
        Assert.That(sink.Stderr, Is.EqualTo(new[] { OutputBudget.Marker(290) }));
        Assert.That(sink.DroppedLines, Is.EqualTo(290));
        Assert.That(budget.Snapshot().DroppedLines, Is.EqualTo(290));
    }

    [Test]
    public async Task The_budget_forgets_the_execution_when_its_output_ends()
    {
        var budget = new OutputBudget(new OutputBudgetOptions(BytesPerSecond: 0, LinesPerSecond: 10), _time);

        await Capture("seq 1 30", new OutputCaptureOptions { Budget = budget, BudgetKey = 7 });

        Assert.That(budget.DroppedLines(7), Is.Zero);
        Assert.That(budget.Snapshot().ActiveExecutions, Is.Zero);
    }

    [Test]
    public async Task A_marker_between_kept_lines_stands_where_the_dropped_section_was()
    {
        var budget = new OutputBudget(new OutputBudgetOptions(BytesPerSecond: 0, LinesPerSecond: 5), _time);

        // The first five lines fill the budget, the next 20 are dropped; the clock then moves on a second, refilling it.
        var script = "seq 1 25\nread -r _ < ready\necho after";
        var ready = Path.Combine(_scripts.FullPath, "ready");
        File.Delete(ready);
        using var fifo = System.Diagnostics.Process.Start("mkfifo", ready);
        await fifo.WaitForExitAsync();
        var sink = new RecordingSink();
        using var process = _scripts.Run(script, sink, new OutputCaptureOptions { Budget = budget, BudgetKey = 7 });
        await Eventually.ThatAsync(() => budget.DroppedLines(7) == 20, "the 20 lines past the budget are dropped");
        _time.Advance(TimeSpan.FromSeconds(10));
        await File.WriteAllTextAsync(ready, "go\n");
        await ProcessWait.Outcome(process);

        Assert.That(sink.Lines.Select(line => line.Content), Is.EqualTo(new[] { "1", "2", "3", "4", "5", OutputBudget.Marker(20), "after" }));
        Assert.That(sink.DroppedLines, Is.EqualTo(20));
    }

    [Test]
    public async Task Secret_values_are_masked_before_the_sink_sees_a_line()
    {
        var options = new OutputCaptureOptions { Secrets = SecretMasker.For(["hunter2-secret"]) };

        var sink = await Capture("echo \"pw=hunter2-secret.\"\necho hunter2-secret >&2", options);

        Assert.That(sink.Stdout, Is.EqualTo(new[] { "pw=********." }));
        Assert.That(sink.Stderr, Is.EqualTo(new[] { "********" }));
    }
}
