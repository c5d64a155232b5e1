using System.Globalization;
using System.Text.RegularExpressions;

namespace ScriptExec.Cli.CommandLine;

/// <summary>
/// The time forms <c>journalctl --since/--until</c> accepts (systemd.time(7)), resolved to Unix seconds: <c>now</c>,
/// <c>today</c>, <c>yesterday</c>, <c>tomorrow</c>, <c>epoch</c>; relative spans <c>-1h</c>, <c>+30min</c>,
/// <c>1h ago</c>, <c>2d left</c>; timestamps <c>2026-11-29 10:00[:00[.fff]]</c>, <c>2026-11-29</c>, <c>10:00</c>
/// (today), with an optional weekday before and a zone after (<c>UTC</c>, <c>Z</c>, <c>+02:00</c>,
/// <c>Europe/Prague</c>), ISO 8601 with <c>T</c>; <c>@SECONDS</c>. Two additions: plain Unix seconds (what the
/// CLI took before) and a bare span (<c>1h</c>) meaning that long ago.
/// Local times are read in the clock's local zone, which follows <c>TZ</c> as journalctl does.
/// </summary>
internal static partial class TimeExpression
{
    /// <summary>systemd's span units (case matters: <c>m</c> is minutes, <c>M</c> months), in seconds.</summary>
    private static readonly Dictionary<string, double> Units = new(StringComparer.Ordinal)
    {
        ["usec"] = 1e-6, ["us"] = 1e-6, ["µs"] = 1e-6, ["μs"] = 1e-6,
        ["msec"] = 1e-3, ["ms"] = 1e-3,
        ["seconds"] = 1, ["second"] = 1, ["sec"] = 1, ["s"] = 1, [string.Empty] = 1,
        ["minutes"] = 60, ["minute"] = 60, ["min"] = 60, ["m"] = 60,
        ["hours"] = 3600, ["hour"] = 3600, ["hr"] = 3600, ["h"] = 3600,
        ["days"] = 86400, ["day"] = 86400, ["d"] = 86400,
        ["weeks"] = 604800, ["week"] = 604800, ["w"] = 604800,
        ["months"] = 2629800, ["month"] = 2629800, ["M"] = 2629800,
        ["years"] = 31557600, ["year"] = 31557600, ["y"] = 31557600,
    };

    private static readonly string[] Weekdays = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

    /// <summary>Parses <paramref name="text"/> for <paramref name="option"/> (named in the error) against <paramref name="clock"/>.</summary>
    /// <returns>Unix seconds, rounded up: the filters compare whole seconds, and a run in the second of a fractional
    /// <c>--since</c> started after it only if it started in a later second.</returns>
    public static long ParseUnixSeconds(string text, string option, TimeProvider clock)
    {
        var instant = Parse(text.Trim(), clock)
            ?? throw new UsageException($"{option}: '{text}' is not a time; use e.g. now, today, yesterday, -1h, '2 days ago', "
                + "'2026-11-29 10:00', 10:00, 2026-11-29T10:00:00Z or @1764400000 (docs/CLI.md, \"Times\")");
        var milliseconds = instant.ToUnixTimeMilliseconds();
        return milliseconds < 0
            ? throw new UsageException($"{option}: '{text}' is before 1970")
            : (milliseconds + 999) / 1000;
    }

    private static DateTimeOffset? Parse(string text, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        if (text.Length == 0)
        {
            return null;
        }

        if (text[0] == '@' || UnixSecondsRegex().IsMatch(text))
        {
            return double.TryParse(text.TrimStart('@'), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds)
                && seconds < 1e11
                ? DateTimeOffset.UnixEpoch.AddMilliseconds(Math.Round(seconds * 1000))
                : null;
        }

        switch (text.ToLowerInvariant())
        {
            case "now":
                return now;
            case "epoch":
                return DateTimeOffset.UnixEpoch;
            case "today":
                return Midnight(now, clock.LocalTimeZone, 0);
            case "yesterday":
                return Midnight(now, clock.LocalTimeZone, -1);
            case "tomorrow":
                return Midnight(now, clock.LocalTimeZone, 1);
        }

        return ParseRelative(text, now) ?? ParseTimestamp(text, now, clock.LocalTimeZone);
    }

    private static DateTimeOffset? ParseRelative(string text, DateTimeOffset now)
    {
        var (span, sign) = text switch
        {
            ['+', .. var rest] => (rest, 1),
            ['-', .. var rest] => (rest, -1),
            _ when text.EndsWith(" ago", StringComparison.Ordinal) => (text[..^4], -1),
            _ when text.EndsWith(" left", StringComparison.Ordinal) => (text[..^5], 1),
            _ => (text, -1), // A bare span, "1h": for --since that long ago is the only sensible reading.
        };
        return ParseSpan(span) is { } seconds ? now.AddMilliseconds(sign * Math.Round(seconds * 1000)) : null;
    }

    /// <summary>A systemd time span: <c>1h30min</c>, <c>2 days 3h</c>, <c>1.5h</c>; a number alone is seconds.</summary>
    internal static double? ParseSpan(string text)
    {
        var matches = SpanPartRegex().Matches(text);
        if (matches.Count == 0 || matches.Sum(m => m.Length) != text.Length || text.Trim().Length == 0)
        {
            return null;
        }

        double total = 0;
        foreach (Match part in matches)
        {
            if (!Units.TryGetValue(part.Groups["unit"].Value, out var unit)
                || !double.TryParse(part.Groups["number"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return null;
            }

            total += number * unit;
        }

        return total;
    }

    private static DateTimeOffset? ParseTimestamp(string text, DateTimeOffset now, TimeZoneInfo localZone)
    {
        var match = TimestampRegex().Match(text);
        if (!match.Success || (!match.Groups["date"].Success && !match.Groups["time"].Success))
        {
            return null;
        }

        var zone = Zone(match.Groups["zone"].Value, localZone);
        if (zone is null)
        {
            return null;
        }

        var today = DateOnly.FromDateTime(zone.Value.Offset is { } fixedOffset
            ? now.ToOffset(fixedOffset).DateTime
            : TimeZoneInfo.ConvertTime(now, zone.Value.Zone!).DateTime);
        var date = today;
        if (match.Groups["date"].Success)
        {
            var year = int.Parse(match.Groups["year"].Value, CultureInfo.InvariantCulture);
            if (match.Groups["year"].Length == 2)
            {
                year += year < 69 ? 2000 : 1900; // strptime's %y, as systemd reads a two-digit year.
            }

            if (!DateOnly.TryParseExact(
                string.Create(CultureInfo.InvariantCulture, $"{year:0000}-{match.Groups["month"].Value}-{match.Groups["day"].Value}"),
                "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date))
            {
                return null;
            }
        }

        var time = TimeOnly.MinValue;
        if (match.Groups["time"].Success
            && !TimeOnly.TryParseExact(match.Groups["time"].Value, ["H:mm", "H:mm:ss", "H:mm:ss.FFFFFFF"], CultureInfo.InvariantCulture, DateTimeStyles.None, out time))
        {
            return null;
        }

        // systemd refuses a weekday that does not match the date.
        if (match.Groups["weekday"].Success
            && !match.Groups["weekday"].Value.StartsWith(Weekdays[(int)date.DayOfWeek], StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var local = date.ToDateTime(time, DateTimeKind.Unspecified);
        return zone.Value.Offset is { } offset ? new DateTimeOffset(local, offset) : Resolve(local, zone.Value.Zone!);
    }

    /// <summary>A named zone or fixed offset; the local zone when none is given; null when unknown.</summary>
    private static (TimeSpan? Offset, TimeZoneInfo? Zone)? Zone(string text, TimeZoneInfo localZone)
    {
        if (text.Length == 0)
        {
            return (null, localZone);
        }

        if (text is "Z" or "UTC" or "GMT")
        {
            return (TimeSpan.Zero, null);
        }

        if (OffsetRegex().Match(text) is { Success: true } offset)
        {
            var minutes = (int.Parse(offset.Groups["h"].Value, CultureInfo.InvariantCulture) * 60)
                + (offset.Groups["m"].Success ? int.Parse(offset.Groups["m"].Value, CultureInfo.InvariantCulture) : 0);
            return minutes > 14 * 60 ? null : (TimeSpan.FromMinutes(offset.Groups["sign"].Value == "-" ? -minutes : minutes), null);
        }

        try
        {
            return (null, TimeZoneInfo.FindSystemTimeZoneById(text));
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return null;
        }
    }

    private static DateTimeOffset Midnight(DateTimeOffset now, TimeZoneInfo zone, int days)
    {
        var date = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime).AddDays(days);
        return Resolve(date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified), zone);
    }

    /// <summary>
    /// A wall-clock time in <paramref name="zone"/>. In the hour a DST change repeats, the first (earlier) instant;
    /// in the hour it skips, the time as if the change had not happened yet (what mktime does).
    /// </summary>
    private static DateTimeOffset Resolve(DateTime local, TimeZoneInfo zone)
    {
        if (zone.IsAmbiguousTime(local))
        {
            return new DateTimeOffset(local, zone.GetAmbiguousTimeOffsets(local).Max());
        }

        return zone.IsInvalidTime(local)
            ? new DateTimeOffset(local, zone.GetUtcOffset(local.AddHours(-3)))
            : new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    [GeneratedRegex(@"^\d+$")]
    private static partial Regex UnixSecondsRegex();

    [GeneratedRegex(@"\G\s*(?<number>\d+(\.\d+)?|\.\d+)\s*(?<unit>[a-zA-Zµμ]*)\s*")]
    private static partial Regex SpanPartRegex();

    // [weekday] [date] [time] [zone], or ISO 8601 (date "T" time, the zone attached to the time).
    [GeneratedRegex(
        @"^(?:(?<weekday>[A-Za-z]{3,9})\s+)?"
        + @"(?:(?<date>(?<year>\d{4}|\d{2})-(?<month>\d{1,2})-(?<day>\d{1,2}))(?:T|\s+|$))?"
        + @"(?<time>\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?)?"
        + @"(?:\s*(?<zone>Z|[+-]\d{2}(?::?\d{2})?)|(?:\s+|(?<=\s))(?<zone>[A-Za-z][A-Za-z0-9_+/-]*))?$")]
    private static partial Regex TimestampRegex();

    [GeneratedRegex(@"^(?<sign>[+-])(?<h>\d{2})(?::?(?<m>\d{2}))?$")]
    private static partial Regex OffsetRegex();
}
