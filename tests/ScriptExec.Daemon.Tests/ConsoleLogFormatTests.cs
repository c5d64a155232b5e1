using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace ScriptExec.Daemon.Tests;

/// <summary>The daemon's console line names its event id instead of printing it like a pid (<c>scriptexecd[1001]</c>).</summary>
public sealed class ConsoleLogFormatTests
{
    private static readonly FakeTimeProvider Clock = new(new DateTimeOffset(2026, 11, 23, 10, 40, 30, 282, TimeSpan.Zero));

    private static string Format(bool journald, LogLevel level, string category, int eventId, string message, Exception? exception = null)
    {
        using var output = new StringWriter();
        var entry = new LogEntry<string>(level, category, new EventId(eventId), message, exception, (state, _) => state);
        new DaemonConsoleFormatter(Clock, journald).Write(entry, null, output);
        return output.ToString();
    }

    [Test]
    public void On_a_terminal_the_line_has_the_utc_time_the_level_and_the_event_id_named()
    {
        Assert.That(
            Format(journald: false, LogLevel.Information, "scriptexecd", 1001, "scriptexecd 0.1.0 ready"),
            Is.EqualTo("2026-11-23T10:40:30.282Z info [event 1001] scriptexecd 0.1.0 ready\n"));
    }

    [Test]
    public void Under_journald_the_line_starts_with_the_syslog_priority_and_has_no_time()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Format(journald: true, LogLevel.Information, "scriptexecd", 1001, "ready"), Is.EqualTo("<6>[event 1001] ready\n"));
            Assert.That(Format(journald: true, LogLevel.Warning, "ScriptExec.Supervisor.X", 3044, "gave up"), Is.EqualTo("<4>[event 3044] gave up\n"));
            Assert.That(Format(journald: true, LogLevel.Error, "scriptexecd", 1, "x"), Does.StartWith("<3>"));
        });
    }

    [Test]
    public void A_foreign_category_is_named_and_an_exception_stays_on_the_line()
    {
        var line = Format(journald: false, LogLevel.Warning, "Microsoft.AspNetCore.Server.Kestrel", 13, "connection reset", new InvalidOperationException("first\nsecond"));

        Assert.That(line, Does.StartWith("2026-11-23T10:40:30.282Z warn [event 13] Microsoft.AspNetCore.Server.Kestrel: connection reset | System.InvalidOperationException: first second"));
        Assert.That(line.TrimEnd('\n'), Does.Not.Contain('\n'), "one line per entry");
    }
}
