using System.Diagnostics;
using System.Globalization;

namespace ScriptExec.Benchmarks;

/// <summary>Progress lines on stderr, so that stdout carries nothing but the JSON report.</summary>
internal static class Progress
{
    private static readonly long Started = Stopwatch.GetTimestamp();

    public static void Say(string message) =>
        Console.Error.WriteLine(string.Create(
            CultureInfo.InvariantCulture, $"[{Stopwatch.GetElapsedTime(Started).TotalSeconds,6:F1}s] {message}"));
}
