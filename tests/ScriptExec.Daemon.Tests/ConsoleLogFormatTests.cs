using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace ScriptExec.Daemon.Tests;

/// <summary>The daemon's console line names its event id instead of printing it like a pid (<c>scriptexecd[1001]</c>).</summary>
public sealed class ConsoleLogFormatTests
{
    private static readonly FakeTimeProvider Clock = new(new DateTimeOffset(2026, 11, 23, 10, 40, 30, 282, TimeSpan.Zero));

    private static string Format(bool journald, LogLevel level, string category, int eventId, string message, Exception? exception = null)
    {
        using var output = new StringWriter();
        using (var log = new DaemonLog(Clock, journald, output))
        {
            log.CreateLogger(category).Log(level, new EventId(eventId), message, exception, (state, _) => state);
        }

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

    [Test]
    public void Lines_from_many_threads_all_reach_the_output_each_whole_and_each_thread_in_order_by_the_disposal()
    {
        using var output = new StringWriter();
        using (var log = new DaemonLog(Clock, journald: true, output))
        {
            // More than the queue holds: a caller waits for room instead of a line being dropped.
            Parallel.For(0, 4, thread =>
            {
                var logger = log.CreateLogger("scriptexecd");
                foreach (var message in Enumerable.Range(0, 1500).Select(i => $"{thread}:{i}"))
                {
                    logger.Log(LogLevel.Information, new EventId(thread), message, null, (state, _) => state);
                }
            });
        }

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(6000));
        for (var thread = 0; thread < 4; thread++)
        {
            var own = lines.Where(l => l.StartsWith($"<6>[event {thread}] ", StringComparison.Ordinal)).ToList();
            Assert.That(own, Is.EqualTo(Enumerable.Range(0, 1500).Select(i => $"<6>[event {thread}] {thread}:{i}")));
        }
    }

    [Test]
    public void An_entry_after_the_disposal_is_written_by_its_caller_and_an_empty_one_not_at_all()
    {
        using var output = new StringWriter();
        var log = new DaemonLog(Clock, journald: true, output);
        var logger = log.CreateLogger("scriptexecd");
        log.Dispose();

        logger.Log(LogLevel.Warning, new EventId(7), "late", null, (state, _) => state);
        logger.Log(LogLevel.Warning, new EventId(8), string.Empty, null, (state, _) => state);

        Assert.That(output.ToString(), Is.EqualTo("<4>[event 7] late\n"));
    }
}
