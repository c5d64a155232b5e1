using System.Globalization;
using ScriptExec.Cli.Connection;

namespace ScriptExec.Cli.Output;

/// <summary>How values look in human output: local times, short durations, triggers, exit statuses, sizes.</summary>
internal static class Format
{
    public const string None = "-";

    private static readonly Dictionary<int, string> SignalNames = new()
    {
        [1] = "SIGHUP", [2] = "SIGINT", [3] = "SIGQUIT", [6] = "SIGABRT", [9] = "SIGKILL", [11] = "SIGSEGV",
        [13] = "SIGPIPE", [14] = "SIGALRM", [15] = "SIGTERM",
    };

    /// <summary>Unix seconds as local time, <c>2026-01-31 14:05:09</c>.</summary>
    public static string LocalTime(long unixSeconds) =>
        DateTimeOffset.FromUnixTimeSeconds(unixSeconds).ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>Milliseconds as <c>850ms</c>, <c>4.2s</c>, <c>3m07s</c>, <c>2h05m</c>, <c>3d04h</c>.</summary>
    public static string Duration(long? milliseconds)
    {
        if (milliseconds is not { } ms)
        {
            return None;
        }

        var t = TimeSpan.FromMilliseconds(ms);
        return ms switch
        {
            < 1000 => ms.ToString(CultureInfo.InvariantCulture) + "ms",
            < 60_000 => (ms / 1000.0).ToString("0.0", CultureInfo.InvariantCulture) + "s",
            < 3_600_000 => string.Create(CultureInfo.InvariantCulture, $"{t.Minutes}m{t.Seconds:00}s"),
            < 86_400_000 => string.Create(CultureInfo.InvariantCulture, $"{t.Hours}h{t.Minutes:00}m"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{t.Days}d{t.Hours:00}h"),
        };
    }

    /// <summary>
    /// An execution's duration; for one still running, the time since it started, whole seconds, marked with
    /// <c>…</c> (<c>12s…</c>, <c>3m07s…</c>) as it is still growing. Start times are whole seconds, so is this.
    /// </summary>
    public static string Duration(WireExecution execution, DateTimeOffset now)
    {
        if (execution.Duration is not null || execution.HasEnded)
        {
            return Duration(execution.Duration);
        }

        return Elapsed(execution.StartTimestamp, now);
    }

    /// <summary>The time since <paramref name="startTimestamp"/> (Unix seconds), marked as still growing: <c>12s…</c>.</summary>
    public static string Elapsed(long startTimestamp, DateTimeOffset now)
    {
        var elapsed = Math.Max(0, now.ToUnixTimeSeconds() - startTimestamp);
        return (elapsed < 60 ? elapsed.ToString(CultureInfo.InvariantCulture) + "s" : Duration(elapsed * 1000)) + Running;
    }

    /// <summary>The mark of a duration that is still growing.</summary>
    public const string Running = "…";

    /// <summary><c>manual (alice)</c>, <c>xpath /a/b = 'up'</c>, <c>scheduler */5 * * * *</c>, <c>system (timeout)</c>.</summary>
    public static string Trigger(WireTrigger? trigger) => trigger switch
    {
        null => None,
        { Username: { } user } => $"{trigger.Type} ({user})",
        { Reason: { } reason } => $"{trigger.Type} ({reason})",
        { Setting: { } setting } => $"{trigger.Type} {setting}",
        _ => trigger.Type,
    };

    /// <summary>The exit status as a shell user reads it: the number, or the signal's name for killed runs.</summary>
    public static string Exit(WireExecution execution) => execution.ExitCode switch
    {
        null => None,
        < 0 and var code when execution.State == "killed" =>
            SignalNames.TryGetValue(-code, out var name) ? name : "signal " + (-code).ToString(CultureInfo.InvariantCulture),
        var code => code.Value.ToString(CultureInfo.InvariantCulture),
    };

    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => bytes.ToString(CultureInfo.InvariantCulture) + " B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        < 1024L * 1024 * 1024 => (bytes / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        _ => (bytes / (1024.0 * 1024 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB",
    };

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
