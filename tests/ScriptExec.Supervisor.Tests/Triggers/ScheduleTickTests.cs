using Cronos;
using ScriptExec.Supervisor.Triggers;

namespace ScriptExec.Supervisor.Tests.Triggers;

/// <summary>Which cron occurrence is due when the wall clock moves on, jumps ahead or steps back.</summary>
public sealed class ScheduleTickTests
{
    private static readonly DateTime Ten = new(2026, 11, 29, 10, 0, 0, DateTimeKind.Utc);

    private static ScheduleTick Daily(string expression = "0 12 * * *") =>
        new(CronExpression.Parse(expression), TimeZoneInfo.Utc);

    [Test]
    public void An_occurrence_is_due_once_when_the_clock_reaches_it()
    {
        var tick = Daily();

        var next = tick.Next(Ten);

        Assert.Multiple(() =>
        {
            Assert.That(next, Is.EqualTo(Ten.AddHours(2)));
            Assert.That(tick.Due(Ten.AddHours(2).AddSeconds(-1)), Is.False);
            Assert.That(tick.Due(Ten.AddHours(2)), Is.True);
            Assert.That(tick.Due(Ten.AddHours(2)), Is.False, "due once");
        });
    }

    [Test]
    public void A_step_back_after_a_run_does_not_run_that_occurrence_again()
    {
        var tick = Daily();
        tick.Next(Ten);
        tick.Due(Ten.AddHours(2));

        var next = tick.Next(Ten.AddHours(1.5));

        Assert.Multiple(() =>
        {
            Assert.That(next, Is.EqualTo(Ten.AddDays(1).AddHours(2)));
            Assert.That(tick.Due(Ten.AddHours(2).AddMinutes(5)), Is.False);
        });
    }

    [Test]
    public void A_step_forward_over_several_occurrences_runs_once_then_follows_the_new_time()
    {
        var tick = Daily("0 * * * *");
        tick.Next(Ten);
        var afterJump = Ten.AddHours(5).AddMinutes(30);

        Assert.Multiple(() =>
        {
            Assert.That(tick.Due(afterJump), Is.True);
            Assert.That(tick.Due(afterJump), Is.False);
            Assert.That(tick.Next(afterJump), Is.EqualTo(Ten.AddHours(6)));
        });
    }

    [Test]
    public void An_occurrence_months_away_is_found()
    {
        var tick = Daily("0 0 1 3 *");

        Assert.That(tick.Next(Ten), Is.EqualTo(new DateTime(2027, 3, 1, 0, 0, 0, DateTimeKind.Utc)));
    }
}
