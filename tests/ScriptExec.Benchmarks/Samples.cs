using System.Diagnostics;
using System.Text.Json.Nodes;

namespace ScriptExec.Benchmarks;

/// <summary>Latency samples in milliseconds, and their summary (nearest-rank percentiles).</summary>
internal sealed class Samples
{
    private readonly List<double> _ms = [];

    public int Count => _ms.Count;

    public void Add(double ms) => _ms.Add(ms);

    public void AddSince(long startTimestamp) => _ms.Add(Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds);

    public void AddRange(Samples other) => _ms.AddRange(other._ms);

    public double Percentile(double p)
    {
        if (_ms.Count == 0)
        {
            return double.NaN;
        }

        var sorted = _ms.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public double P50 => Percentile(50);

    public double P99 => Percentile(99);

    public double Mean => _ms.Count == 0 ? double.NaN : _ms.Average();

    public JsonObject ToJson() => new()
    {
        ["n"] = _ms.Count,
        ["p50_ms"] = Report.Round(P50),
        ["p90_ms"] = Report.Round(Percentile(90)),
        ["p99_ms"] = Report.Round(P99),
        ["mean_ms"] = Report.Round(Mean),
        ["max_ms"] = Report.Round(_ms.Count == 0 ? double.NaN : _ms.Max()),
    };
}
