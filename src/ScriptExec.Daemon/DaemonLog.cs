using System.Globalization;
using System.Text;
using Microsoft.Extensions.Hosting.Systemd;

namespace ScriptExec.Daemon;

/// <summary>
/// The daemon's log: one line per entry on standard output. The stock formats print the category and event id as
/// <c>scriptexecd[1001]</c>, which reads like a process id — and under journald, whose own prefix is
/// <c>scriptexecd[PID]:</c>, like a second one. Here the event id is named: <c>2026-11-23T10:40:30.282Z info [event
/// 1001] message</c> on a terminal, and <c>&lt;6&gt;[event 1001] message</c> under systemd (the syslog priority prefix
/// journald reads; journald adds the time and the pid). The category is shown only when it is not the daemon's own
/// (<c>scriptexecd</c> and <c>ScriptExec.*</c>), e.g. a Kestrel warning. One line per entry: journald and grep see
/// one record.
/// </summary>
/// <remarks>
/// A provider of its own rather than the console logger with a formatter: that one brings a dozen option types
/// (three stock formats, their change tokens) whose generic services the native binary builds at every start, about
/// 13 ms of its start-up. As the console logger does, lines go through a queue of 1,024 to one writer thread, so a
/// slow reader of standard output (a busy journald) holds up nobody until the queue is full, and then the caller
/// waits rather than a line being lost; disposing flushes what is queued.
/// </remarks>
internal sealed class DaemonLog : ILoggerProvider
{
    private const int QueueLength = 1024;

    private readonly TimeProvider _clock;
    private readonly bool _journald;
    private readonly TextWriter _output;
    private readonly Queue<string> _queue = new();
    private readonly Thread _writer;
    private bool _closed;

    public DaemonLog(TimeProvider clock, bool journald, TextWriter output)
    {
        _clock = clock;
        _journald = journald;
        _output = output;
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "log writer" };
        _writer.Start();
    }

    /// <summary>The daemon's log on its standard output, with the syslog prefixes under systemd.</summary>
    public static void AddTo(ILoggingBuilder logging)
    {
        logging.ClearProviders();
        logging.Services.AddSingleton<ILoggerProvider>(sp => new DaemonLog(
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            SystemdHelpers.IsSystemdService(),
            new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { AutoFlush = false }));
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>Writes what is queued, then stops the writer; later entries are written at once by their caller.</summary>
    public void Dispose()
    {
        lock (_queue)
        {
            _closed = true;
            Monitor.PulseAll(_queue);
        }

        _writer.Join(TimeSpan.FromSeconds(2));
    }

    /// <summary>The line for one entry, with its newline; null when there is nothing to say.</summary>
    internal static string? Format(DateTimeOffset now, bool journald, LogLevel level, string category, EventId eventId, string message, Exception? exception)
    {
        if (string.IsNullOrEmpty(message) && exception is null)
        {
            return null;
        }

        var line = new StringBuilder();
        if (journald)
        {
            line.Append('<').Append(Priority(level)).Append('>');
        }
        else
        {
            line.Append(now.ToString("yyyy-MM-ddTHH:mm:ss.fff'Z' ", CultureInfo.InvariantCulture)).Append(Label(level)).Append(' ');
        }

        line.Append(CultureInfo.InvariantCulture, $"[event {eventId.Id}] ");
        if (category != "scriptexecd" && !category.StartsWith("ScriptExec.", StringComparison.Ordinal))
        {
            line.Append(category).Append(": ");
        }

        line.Append(message);
        if (exception is not null)
        {
            line.Append(" | ").Append(exception);
        }

        // Multi-line messages and stack traces on one line, as the systemd format does.
        return line.Replace("\r", string.Empty).Replace('\n', ' ').Append('\n').ToString();
    }

    private void Enqueue(string line)
    {
        lock (_queue)
        {
            while (_queue.Count >= QueueLength && !_closed)
            {
                Monitor.Wait(_queue);
            }

            if (!_closed)
            {
                _queue.Enqueue(line);
                Monitor.PulseAll(_queue);
                return;
            }
        }

        WriteNow([line]);
    }

    private void WriteLoop()
    {
        var batch = new List<string>();
        while (true)
        {
            lock (_queue)
            {
                while (_queue.Count == 0 && !_closed)
                {
                    Monitor.Wait(_queue);
                }

                if (_queue.Count == 0)
                {
                    return;
                }

                batch.AddRange(_queue);
                _queue.Clear();
                Monitor.PulseAll(_queue);
            }

            WriteNow(batch);
            batch.Clear();
        }
    }

    private void WriteNow(List<string> lines)
    {
        lock (_output)
        {
            try
            {
                foreach (var line in lines)
                {
                    _output.Write(line);
                }

                _output.Flush();
            }
            catch (IOException)
            {
                // Standard output gone (its reader closed the pipe): nothing to write the log to, and no reason to stop.
            }
        }
    }

    private static string Label(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        _ => "crit",
    };

    // syslog priorities, as journald reads them from the line's "<N>" prefix.
    private static int Priority(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => 7,
        LogLevel.Information => 6,
        LogLevel.Warning => 4,
        LogLevel.Error => 3,
        _ => 2,
    };

    private sealed class Logger(DaemonLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)
                && Format(log._clock.GetUtcNow(), log._journald, logLevel, category, eventId, formatter(state, exception), exception) is { } line)
            {
                log.Enqueue(line);
            }
        }
    }
}
