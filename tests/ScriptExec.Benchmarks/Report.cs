using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ScriptExec.Benchmarks;

/// <summary>The machine-readable report: run context, one section per benchmark, every check, and a summary.</summary>
internal sealed class Report
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly JsonObject _root;
    private readonly JsonObject _sections = [];
    private readonly List<Check> _checks = [];
    private readonly JsonObject _errors = [];

    public Report(BenchOptions options)
    {
        _root = new JsonObject
        {
            ["tool"] = "ScriptExec.Benchmarks",
            ["mode"] = options.Mode,
            ["started_utc"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["machine"] = new JsonObject
            {
                // What nproc prints: the CPUs this process may run on.
                ["nproc"] = Environment.ProcessorCount,
                ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
                ["runtime"] = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
                ["loadavg_at_start"] = LoadAverage(),
            },
#if DEBUG
            ["benchmark_build"] = "Debug (run with -c Release for figures worth comparing)",
#else
            ["benchmark_build"] = "Release",
#endif
        };
    }

    /// <summary>The build the next figures belong to (jit, native): their names start with it; null for none.</summary>
    public string? Scope { get; set; }

    public IReadOnlyList<Check> Checks => _checks;

    public bool HasErrors => _errors.Count > 0;

    public int Misses => _checks.Count(c => c.Pass == false);

    public void Set(string key, JsonNode? value) => _root[key] = value;

    public void Section(string name, JsonNode value) => _sections[name] = value;

    public void Add(Check check)
    {
        check = Scope is null ? check : check with { Figure = Scope + "." + check.Figure };
        _checks.Add(check);
        Progress.Say($"  {check.Result,-12} {check.Figure} = {Format(check.Value)} {check.Unit}"
                     + (check.Ratio is { } r ? $" (ratio {Format(r)} vs {check.Baseline})" : "") + $"  target {check.Target}");
    }

    public void Error(string section, Exception e)
    {
        section = Scope is null ? section : Scope + "." + section;
        _errors[section] = e.GetType().Name + ": " + e.Message;
        Progress.Say($"  ERROR in {section}: {e}");
    }

    public string ToJsonString()
    {
        ((JsonObject)_root["machine"]!)["loadavg_at_end"] = LoadAverage();
        _root["finished_utc"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        _root["summary"] = new JsonObject
        {
            ["checks"] = _checks.Count,
            ["pass"] = _checks.Count(c => c.Pass == true),
            ["miss"] = Misses,
            ["not_measured"] = _checks.Count(c => c.Result == "not_measured"),
            ["misses"] = new JsonArray([.. _checks.Where(c => c.Pass == false).Select(c => (JsonNode?)JsonValue.Create(c.Figure))]),
            ["errors"] = _errors.DeepClone(),
        };
        _root["targets"] = Targets.ToJson(_checks, (JsonObject)_root["machine"]!.DeepClone(), _root["builds"]?.DeepClone());
        _root["checks"] = new JsonArray([.. _checks.Select(c => (JsonNode?)c.ToJson())]);
        _root["details"] = _sections.DeepClone();
        return _root.ToJsonString(Indented);
    }

    /// <summary>Milliseconds and rates to three decimals; NaN and infinities (nothing measured) become null.</summary>
    public static JsonNode? Round(double value) => double.IsFinite(value) ? JsonValue.Create(Math.Round(value, 3)) : null;

    private static string Format(double? value) => value is { } v ? v.ToString("0.###", CultureInfo.InvariantCulture) : "-";

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Trim();
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
