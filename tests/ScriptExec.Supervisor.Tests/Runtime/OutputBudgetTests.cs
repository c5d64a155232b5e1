using Microsoft.Extensions.Time.Testing;
using ScriptExec.Supervisor.Runtime;

namespace ScriptExec.Supervisor.Tests.Runtime;

public class OutputBudgetTests
{
    private FakeTimeProvider _time = null!;

    [SetUp]
    public void SetUp() => _time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero));

    /// <summary>What one execution offered, what was kept, and what the markers said was dropped.</summary>
    private sealed class RunTally(long executionId)
    {
        public long ExecutionId { get; } = executionId;

        public long Offered { get; set; }

        public long Admitted { get; set; }

        public long DroppedByMarkers { get; set; }

        public int Markers { get; set; }

        public void Offer(OutputBudget budget, int bytes)
        {
            Offered++;
            var admission = budget.Admit(ExecutionId, bytes);
            if (admission.Admitted)
            {
                Admitted++;
            }

            if (admission.MarkerBefore is not null)
            {
                Markers++;
                DroppedByMarkers += admission.DroppedBefore;
            }
        }

        public OutputBudgetEnd End(OutputBudget budget)
        {
            var end = budget.Complete(ExecutionId);
            if (end.Marker is not null)
            {
                Markers++;
                DroppedByMarkers += end.TrailingDropped;
            }

            return end;
        }
    }

    [Test]
    public void Two_flooders_are_throttled_while_a_quiet_script_keeps_every_line()
    {
        var budget = new OutputBudget(new OutputBudgetOptions(), _time);
        var flooderA = new RunTally(1);
        var flooderB = new RunTally(2);
        var quiet = new RunTally(3);

        // Ten seconds in 10 ms steps: each flooder offers 50 lines of 100 bytes per step (500 KB/s, 25 times the
        // whole budget), the quiet script one line of 60 bytes every 100 ms.
        for (var step = 0; step < 1000; step++)
        {
            for (var line = 0; line < 50; line++)
            {
                flooderA.Offer(budget, 100);
                flooderB.Offer(budget, 100);
            }

            if (step % 10 == 0)
            {
                quiet.Offer(budget, 60);
            }

            _time.Advance(TimeSpan.FromMilliseconds(10));
        }

        var endA = flooderA.End(budget);
        var endB = flooderB.End(budget);
        var endQuiet = quiet.End(budget);

        Assert.Multiple(() =>
        {
            Assert.That(quiet.Admitted, Is.EqualTo(quiet.Offered), "the quiet script is intact");
            Assert.That(endQuiet.TotalDropped, Is.Zero);
            Assert.That(quiet.Markers, Is.Zero);

            foreach (var (flooder, end) in new[] { (flooderA, endA), (flooderB, endB) })
            {
                Assert.That(flooder.Admitted, Is.GreaterThan(0), "a flooder is throttled, not silenced");
                Assert.That(flooder.Admitted, Is.LessThan(flooder.Offered / 10), "a flooder is throttled");
                Assert.That(end.TotalDropped, Is.EqualTo(flooder.Offered - flooder.Admitted), "every drop is counted");
                Assert.That(flooder.DroppedByMarkers, Is.EqualTo(end.TotalDropped), "the markers add up to the count");
                Assert.That(flooder.Markers, Is.GreaterThan(1), "one marker per dropped section");
            }

            // The whole budget over ten seconds plus the one-second burst, and no more.
            var admittedBytes = ((flooderA.Admitted + flooderB.Admitted) * 100) + (quiet.Admitted * 60);
            Assert.That(admittedBytes, Is.LessThanOrEqualTo(11 * 20 * 1024));
            Assert.That(admittedBytes, Is.GreaterThan(9 * 20 * 1024), "the budget is used, not wasted");
        });
    }

    [Test]
    public void The_loudest_script_is_throttled_before_a_less_loud_one()
    {
        var budget = new OutputBudget(new OutputBudgetOptions(BytesPerSecond: 10_000, LinesPerSecond: 0), _time);
        var loud = new RunTally(1);
        var moderate = new RunTally(2);

        // Both want more than their half; the loud one four times as much as the moderate one.
        for (var step = 0; step < 500; step++)
        {
            for (var line = 0; line < 8; line++)
            {
                loud.Offer(budget, 100);
            }

            for (var line = 0; line < 2; line++)
            {
                moderate.Offer(budget, 100);
            }

            _time.Advance(TimeSpan.FromMilliseconds(10));
        }

        var loudShare = (double)loud.Admitted / loud.Offered;
        var moderateShare = (double)moderate.Admitted / moderate.Offered;
        Assert.That(moderateShare, Is.GreaterThan(loudShare * 2), $"kept: loud {loud.Admitted}/{loud.Offered}, moderate {moderate.Admitted}/{moderate.Offered}");
    }

    [Test]
    public void A_dropped_section_is_reported_once_with_the_next_admitted_line()
    {
        var budget = new OutputBudget(new OutputBudgetOptions(BytesPerSecond: 0, LinesPerSecond: 10), _time);

        var admitted = Enumerable.Range(0, 10).Select(_ => budget.Admit(7, 1)).ToList();
        var dropped = Enumerable.Range(0, 3).Select(_ => budget.Admit(7, 1)).ToList();
        _time.Advance(TimeSpan.FromSeconds(1));
        var next = budget.Admit(7, 1);
        var after = budget.Admit(7, 1);

        Assert.Multiple(() =>
        {
            Assert.That(admitted.All(a => a is { Admitted: true, DroppedBefore: 0 }), Is.True);
            Assert.That(dropped.All(a => a is { Admitted: false, MarkerBefore: null }), Is.True);
            Assert.That(next, Is.EqualTo(new OutputAdmission(true, 3)));
            Assert.That(next.MarkerBefore, Is.EqualTo("[scriptexec: 3 lines dropped by the output budget]"));
            Assert.That(after.MarkerBefore, Is.Null);
            Assert.That(budget.DroppedLines(7), Is.EqualTo(3));
        });
    }

    [Test]
    public void A_section_still_open_when_the_run_ends_is_reported_by_Complete()
    {
        var budget = new OutputBudget(new OutputBudgetOptions(BytesPerSecond: 0, LinesPerSecond: 2), _time);
        for (var i = 0; i < 5; i++)
        {
            budget.Admit(9, 10);
        }

        var end = budget.Complete(9);

        Assert.Multiple(() =>
        {
            Assert.That(end, Is.EqualTo(new OutputBudgetEnd(3, 3)));
            Assert.That(end.Marker, Is.EqualTo("[scriptexec: 3 lines dropped by the output budget]"));
            Assert.That(budget.DroppedLines(9), Is.Zero, "the run is forgotten");
            Assert.That(budget.Complete(9), Is.EqualTo(default(OutputBudgetEnd)));
        });
    }

    [Test]
    public void Zero_rates_turn_the_budget_off()
    {
        var budget = new OutputBudget(new OutputBudgetOptions(0, 0), _time);

        var all = Enumerable.Range(0, 100_000).Select(_ => budget.Admit(1, 16 * 1024)).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(all.All(a => a.Admitted), Is.True);
            Assert.That(budget.Complete(1), Is.EqualTo(default(OutputBudgetEnd)));
        });
    }

    [Test]
    public void A_line_longer_than_the_byte_bucket_still_gets_through_when_it_is_full()
    {
        var budget = new OutputBudget(new OutputBudgetOptions(BytesPerSecond: 1024, LinesPerSecond: 0), _time);

        var first = budget.Admit(1, 16 * 1024);
        var second = budget.Admit(1, 16 * 1024);
        _time.Advance(TimeSpan.FromSeconds(16));
        var later = budget.Admit(1, 16 * 1024);

        Assert.Multiple(() =>
        {
            Assert.That(first.Admitted, Is.True);
            Assert.That(second.Admitted, Is.False, "charged in full: the bucket is in debt");
            Assert.That(later, Is.EqualTo(new OutputAdmission(true, 1)));
        });
    }

    [Test]
    public void The_snapshot_shows_the_rates_what_is_left_and_the_drops()
    {
        var budget = new OutputBudget(new OutputBudgetOptions(BytesPerSecond: 1000, LinesPerSecond: 100), _time);
        budget.Admit(1, 400);
        budget.Admit(2, 700);

        var status = budget.Snapshot();

        Assert.That(status, Is.EqualTo(new OutputBudgetStatus(1000, 100, 600, 99, 2, 1)));
    }
}
