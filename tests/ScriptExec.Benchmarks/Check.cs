using System.Text.Json.Nodes;

namespace ScriptExec.Benchmarks;

/// <summary>One figure against its target: the absolute value, the baseline measured in the same run, their ratio.</summary>
internal sealed record Check(
    string Figure,
    double? Value,
    string Unit,
    string? Baseline,
    double? BaselineValue,
    double? Ratio,
    string Target,
    bool? Pass,
    string? Note = null)
{
    /// <summary>Value ≤ limit; the baseline, if any, is shown with the ratio value / baseline.</summary>
    public static Check AtMost(string figure, double value, string unit, double limit, string? baseline = null, double? baselineValue = null) =>
        new(figure, value, unit, baseline, baselineValue, RatioOf(value, baselineValue), $"<= {limit} {unit}", double.IsFinite(value) ? value <= limit : null);

    public static Check AtLeast(string figure, double value, string unit, double limit, string? baseline = null, double? baselineValue = null) =>
        new(figure, value, unit, baseline, baselineValue, RatioOf(value, baselineValue), $">= {limit} {unit}", double.IsFinite(value) ? value >= limit : null);

    /// <summary>value / baseline ≤ max (lower is better, e.g. latency).</summary>
    public static Check RatioAtMost(string figure, double value, string unit, string baseline, double baselineValue, double max)
    {
        var ratio = RatioOf(value, baselineValue);
        return new(figure, value, unit, baseline, baselineValue, ratio, $"ratio <= {max}", ratio is { } r ? r <= max : null);
    }

    /// <summary>value / baseline ≥ min (higher is better, e.g. throughput).</summary>
    public static Check RatioAtLeast(string figure, double value, string unit, string baseline, double baselineValue, double min)
    {
        var ratio = RatioOf(value, baselineValue);
        return new(figure, value, unit, baseline, baselineValue, ratio, $"ratio >= {min}", ratio is { } r ? r >= min : null);
    }

    /// <summary>A figure with no target: reported for the record.</summary>
    public static Check Info(string figure, double value, string unit, string? note = null) =>
        new(figure, value, unit, null, null, null, "none (informational)", null, note);

    public static Check NotMeasured(string figure, string target, string reason) =>
        new(figure, null, "", null, null, null, target, null, reason);

    public string Result => Pass switch
    {
        true => "pass",
        false => "miss",
        null => Value is null ? "not_measured" : "info",
    };

    public JsonObject ToJson() => new()
    {
        ["figure"] = Figure,
        ["value"] = Value is { } v ? Report.Round(v) : null,
        ["unit"] = Unit,
        ["baseline"] = Baseline,
        ["baseline_value"] = BaselineValue is { } b ? Report.Round(b) : null,
        ["ratio"] = Ratio is { } r ? Report.Round(r) : null,
        ["target"] = Target,
        ["pass"] = Pass,
        ["result"] = Result,
        ["note"] = Note,
    };

    private static double? RatioOf(double value, double? baseline) =>
        baseline is { } b && b != 0 && double.IsFinite(b) && double.IsFinite(value) ? value / b : null;
}
