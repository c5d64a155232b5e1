using ScriptExec.Cli.Connection;
using ScriptExec.Cli.Output;

namespace ScriptExec.Cli.Tests;

/// <summary>DURATION: the stored duration of an ended run; the time so far of a running one, marked as growing.</summary>
public sealed class DurationFormatTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    private static WireExecution Run(string state, long startedSecondsAgo, long? duration = null) => new(
        1, "s", "i", Now.ToUnixTimeSeconds() - startedSecondsAgo, new WireTrigger("manual", null, "root"), state, null, duration,
        duration is null ? null : 0, null, false, null, false);

    [TestCase("running", 0, "0s…")]
    [TestCase("running", 12, "12s…")]
    [TestCase("terminating", 187, "3m07s…")]
    [TestCase("running", 7500, "2h05m…")]
    [TestCase("running", -5, "0s…")]
    public void A_run_that_has_not_ended_shows_the_time_since_its_start(string state, long secondsAgo, string expected) =>
        Assert.That(Format.Duration(Run(state, secondsAgo), Now), Is.EqualTo(expected));

    [Test]
    public void An_ended_run_shows_its_stored_duration_whatever_the_clock()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Format.Duration(Run("finished", 3600, duration: 4200), Now), Is.EqualTo("4.2s"));
            Assert.That(Format.Duration(Run("killed", 3600), Now), Is.EqualTo("-"), "recovered, fate unknown: no duration");
        });
    }
}
