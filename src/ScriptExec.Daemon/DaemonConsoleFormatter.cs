using System.Globalization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace ScriptExec.Daemon;

/// <summary>
/// The daemon's log line. The stock formats print the category and event id as <c>scriptexecd[1001]</c>, which
/// reads like a process id — and under journald, whose own prefix is <c>scriptexecd[PID]:</c>, like a second one.
/// Here the event id is named: <c>2026-11-23T10:40:30.282Z info [event 1001] message</c> on a terminal, and
/// <c>&lt;6&gt;[event 1001] message</c> under systemd (the syslog priority prefix journald reads; journald adds the
/// time and the pid). The category is shown only when it is not the daemon's own (<c>scriptexecd</c> and
/// <c>ScriptExec.*</c>), e.g. a Kestrel warning. One line per entry: journald and grep see one record.
/// </summary>
internal sealed class DaemonConsoleFormatter : ConsoleFormatter
{
    public const string FormatterName = "scriptexecd";

    private readonly TimeProvider _clock;
    private readonly bool _journald;

    public DaemonConsoleFormatter(TimeProvider clock, bool journald)
        : base(FormatterName)
    {
        _clock = clock;
        _journald = journald;
    }

    /// <summary>Replaces the console formats with this one, also under systemd (where UseSystemd would pick its own).</summary>
    public static void AddTo(ILoggingBuilder logging)
    {
        logging.AddConsole();
        logging.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ConsoleFormatter, DaemonConsoleFormatter>(
            sp => new DaemonConsoleFormatter(sp.GetService<TimeProvider>() ?? TimeProvider.System, SystemdHelpers.IsSystemdService())));
        logging.Services.AddSingleton<IPostConfigureOptions<ConsoleLoggerOptions>>(
            new PostConfigureOptions<ConsoleLoggerOptions>(Options.DefaultName, o => o.FormatterName = FormatterName));
    }

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null)
        {
            return;
        }

        var line = new System.Text.StringBuilder();
        if (_journald)
        {
            line.Append('<').Append(Priority(logEntry.LogLevel)).Append('>');
        }
        else
        {
            line.Append(_clock.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ss.fff'Z' ", CultureInfo.InvariantCulture)).Append(Label(logEntry.LogLevel)).Append(' ');
        }

        line.Append(CultureInfo.InvariantCulture, $"[event {logEntry.EventId.Id}] ");
        if (logEntry.Category != "scriptexecd" && !logEntry.Category.StartsWith("ScriptExec.", StringComparison.Ordinal))
        {
            line.Append(logEntry.Category).Append(": ");
        }

        line.Append(message);
        if (logEntry.Exception is { } exception)
        {
            line.Append(" | ").Append(exception);
        }

        // Multi-line messages and stack traces on one line, as the systemd format does.
        textWriter.Write(line.Replace("\r", string.Empty).Replace('\n', ' ').Append('\n').ToString());
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
}
