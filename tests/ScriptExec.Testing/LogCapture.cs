using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ScriptExec.Testing;

/// <summary>Keeps the daemon's warnings and errors, so a test can show what went wrong inside it.</summary>
/// <remarks>Register it with <c>services.AddSingleton&lt;ILoggerProvider&gt;(capture)</c> in DaemonUnderTest's overrides.</remarks>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _entries = new();

    /// <summary>Every warning and error so far: level, category, message, and the exception's type and message if any.</summary>
    public IReadOnlyCollection<string> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                var cause = exception is null ? string.Empty : $" [{exception.GetType().Name}: {exception.Message}]";
                owner._entries.Enqueue($"{logLevel} {category}: {formatter(state, exception)}{cause}");
            }
        }
    }
}
