using ScriptExec.Cli.CommandLine;

namespace ScriptExec.Cli.Tests;

/// <summary>
/// <c>--since/--until</c>: every form journalctl accepts (systemd.time(7)), plus Unix seconds, against a fixed
/// clock in Europe/Prague (CET, UTC+1 on the fixed day; DST in March and October).
/// </summary>
public sealed class TimeExpressionTests
{
    // Monday 2026-11-30 08:30:00 in Prague.
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 7, 30, 0, TimeSpan.Zero);
    private static readonly TimeZoneInfo Prague = TimeZoneInfo.FindSystemTimeZoneById("Europe/Prague");
    private static readonly FixedClock Clock = new(Now, Prague);

    private static long Prg(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) =>
        new DateTimeOffset(y, mo, d, h, mi, s, TimeSpan.FromHours(1)).ToUnixTimeSeconds();

    private static long Ago(double seconds) => (long)Math.Ceiling(Now.ToUnixTimeSeconds() - seconds);

    private static IEnumerable<TestCaseData> Forms()
    {
        TestCaseData Case(string text, long expected) => new TestCaseData(text, expected).SetName($"'{text}'");
        yield return Case("now", Now.ToUnixTimeSeconds());
        yield return Case("today", Prg(2026, 11, 30));
        yield return Case("yesterday", Prg(2026, 11, 29));
        yield return Case("tomorrow", Prg(2026, 12, 1));
        yield return Case("epoch", 0);
        yield return Case("-1h", Ago(3600));
        yield return Case("1h", Ago(3600));
        yield return Case("1h ago", Ago(3600));
        yield return Case("+30min", Ago(-1800));
        yield return Case("5 min left", Ago(-300));
        yield return Case("2 days ago", Ago(2 * 86400));
        yield return Case("-1h30min", Ago(5400));
        yield return Case("1h 30min ago", Ago(5400));
        yield return Case("-1.5h", Ago(5400));
        yield return Case("-90", Ago(90));
        yield return Case("-90s", Ago(90));
        yield return Case("-2sec", Ago(2));
        yield return Case("-3 seconds", Ago(3));
        yield return Case("-10m", Ago(600));
        yield return Case("-2hours", Ago(7200));
        yield return Case("-1d", Ago(86400));
        yield return Case("-1w", Ago(604800));
        yield return Case("-1M", Ago(2629800));
        yield return Case("-1y", Ago(31557600));
        yield return Case("-500ms", Ago(0.5));
        yield return Case("-1500000us", Ago(1.5));
        yield return Case("2026-11-29 10:00", Prg(2026, 11, 29, 10));
        yield return Case("2026-11-29 10:00:00", Prg(2026, 11, 29, 10));
        yield return Case("2026-11-29 10:00:00.5", Prg(2026, 11, 29, 10) + 1);
        yield return Case("2026-11-29", Prg(2026, 11, 29));
        yield return Case("26-11-29 10:00", Prg(2026, 11, 29, 10));
        yield return Case("10:00", Prg(2026, 11, 30, 10));
        yield return Case("9:05:30", Prg(2026, 11, 30, 9, 5, 30));
        yield return Case("Sun 2026-11-29 10:00", Prg(2026, 11, 29, 10));
        yield return Case("sunday 2026-11-29", Prg(2026, 11, 29));
        yield return Case("2026-11-29T10:00:00Z", new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds());
        yield return Case("2026-11-29T10:00:00+02:00", new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.FromHours(2)).ToUnixTimeSeconds());
        yield return Case("2026-11-29T10:00-0530", new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.FromMinutes(-330)).ToUnixTimeSeconds());
        yield return Case("2026-11-29T10:00", Prg(2026, 11, 29, 10));
        yield return Case("2026-11-29 10:00 UTC", new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds());
        yield return Case("2026-11-29 10:00 America/New_York", new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.FromHours(-5)).ToUnixTimeSeconds());
        yield return Case("10:00 UTC", new DateTimeOffset(2026, 11, 30, 10, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds());
        yield return Case("@1764400000", 1764400000);
        yield return Case("@1764400000.2", 1764400001);
        yield return Case("1764400000", 1764400000);

        // DST: the hour skipped in March reads as if not yet skipped; the hour repeated in October is its first pass.
        yield return Case("2026-03-29 02:30", new DateTimeOffset(2026, 3, 29, 1, 30, 0, TimeSpan.Zero).ToUnixTimeSeconds());
        yield return Case("2026-10-25 02:30", new DateTimeOffset(2026, 10, 25, 0, 30, 0, TimeSpan.Zero).ToUnixTimeSeconds());
        yield return Case("2026-07-01 12:00", new DateTimeOffset(2026, 7, 1, 12, 0, 0, TimeSpan.FromHours(2)).ToUnixTimeSeconds());
    }

    [TestCaseSource(nameof(Forms))]
    public void Reads_the_form_in_the_local_time_zone(string text, long expected) =>
        Assert.That(TimeExpression.ParseUnixSeconds(text, "--since", Clock), Is.EqualTo(expected));

    [Test]
    public void Local_times_follow_the_clocks_time_zone()
    {
        var utc = new FixedClock(Now, TimeZoneInfo.Utc);
        Assert.Multiple(() =>
        {
            Assert.That(TimeExpression.ParseUnixSeconds("2026-11-29 10:00", "--since", utc), Is.EqualTo(Prg(2026, 11, 29, 10) + 3600));
            Assert.That(TimeExpression.ParseUnixSeconds("today", "--since", utc), Is.EqualTo(Prg(2026, 11, 30) + 3600));
        });
    }

    [Test]
    public void Today_is_the_local_date_not_the_utc_one()
    {
        // 23:30 UTC on the 29th is already the 30th in Prague.
        var lateEvening = new FixedClock(new DateTimeOffset(2026, 11, 29, 23, 30, 0, TimeSpan.Zero), Prague);
        Assert.That(TimeExpression.ParseUnixSeconds("today", "--until", lateEvening), Is.EqualTo(Prg(2026, 11, 30)));
    }

    [TestCase("soon")]
    [TestCase("")]
    [TestCase("-")]
    [TestCase("@")]
    [TestCase("1x ago")]
    [TestCase("-1 fortnight")]
    [TestCase("2026-13-01")]
    [TestCase("2026-02-30 10:00")]
    [TestCase("25:00")]
    [TestCase("10:61")]
    [TestCase("Mon 2026-11-29")]
    [TestCase("yesterday 10:00")]
    [TestCase("2026-11-29 10:00 Mars/Olympus")]
    [TestCase("2026-11-29T10:00:00+25:00")]
    [TestCase("1969-12-31")]
    public void Anything_else_is_a_usage_error_naming_the_option(string text)
    {
        var error = Assert.Throws<UsageException>(() => TimeExpression.ParseUnixSeconds(text, "--until", Clock))!;
        Assert.That(error.Message, Does.StartWith($"--until: '{text}' is "));
        Assert.That(error.ExitCode, Is.EqualTo(ExitCodes.Usage));
    }

    [TestCase("1h30min", 5400)]
    [TestCase("2 days 3h", 183600)]
    [TestCase("90", 90)]
    [TestCase("1min", 60)]
    [TestCase("1M", 2629800)]
    [TestCase("1.5s", 1.5)]
    public void Spans_add_their_parts_in_systemds_units(string text, double seconds) =>
        Assert.That(TimeExpression.ParseSpan(text), Is.EqualTo(seconds).Within(1e-9));

    private sealed class FixedClock(DateTimeOffset now, TimeZoneInfo zone) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;

        public override TimeZoneInfo LocalTimeZone => zone;
    }
}
