using System.Diagnostics.Metrics;
using System.Globalization;

namespace ScriptExec.Core.Metrics;

/// <summary>
/// The daemon's <see cref="Meter"/> ("ScriptExec") and the instruments measured where things happen: executions
/// started and ended, and their durations. What the daemon already counts (running executions, clients, triggers,
/// output, store size) is read only when metrics are collected, as observable instruments, so the run path pays
/// nothing for them. Labels are bounded: script and instance names (configured), trigger types, states, exit codes
/// (0-255) and signal numbers; never an execution id. The instance label is <c>instance_name</c> (as in the API), not
/// <c>instance</c>, which Prometheus reserves for the scrape target and would rename to <c>exported_instance</c>.
/// </summary>
public sealed class ScriptExecMetrics
{
    /// <summary>The meter every ScriptExec instrument belongs to; every instrument name starts with <see cref="Prefix"/>.</summary>
    public const string MeterName = "ScriptExec";

    public const string Prefix = "scriptexec_";

    /// <summary>
    /// Upper bounds (seconds) of the duration histogram's buckets: scripts run from milliseconds (a probe) to an
    /// hour (a backup), so 10 ms to 1 h, about three per decade.
    /// </summary>
    public static readonly IReadOnlyList<double> DurationBuckets =
        [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

    // Exit codes and signal numbers as label values, made once: an end costs no formatting.
    private static readonly string[] SmallNumbers = [.. Enumerable.Range(0, 256).Select(i => i.ToString(CultureInfo.InvariantCulture))];

    private readonly Meter _meter;
    private readonly Counter<long> _started;
    private readonly Counter<long> _ended;
    private readonly Histogram<double> _duration;

    /// <param name="factory">The host's factory, which owns (and disposes) the meter.</param>
    public ScriptExecMetrics(IMeterFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _meter = factory.Create(new MeterOptions(MeterName));
        _started = _meter.CreateCounter<long>(
            Prefix + "executions_started", description: "Executions started (their start record committed), by script, instance and trigger type.");
        _ended = _meter.CreateCounter<long>(
            Prefix + "executions_ended", description: "Executions ended (their end record committed), by script, instance, state and exit_code or signal.");
        _duration = _meter.CreateHistogram(
            Prefix + "execution_duration",
            unit: "s",
            description: "Run time of ended executions (start to exit), by script and instance.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
    }

    /// <summary>The meter, for the observable instruments the host registers over what it already counts.</summary>
    public Meter Meter => _meter;

    public void ExecutionStarted(string script, string instance, TriggerType trigger) =>
        _started.Add(1, new("script_name", script), new("instance_name", instance), new("trigger", trigger.ToWire()));

    /// <param name="exitCode">The exit code for a finished run; minus the signal number for a killed one.</param>
    public void ExecutionEnded(string script, string instance, ExecutionState state, int? exitCode, long durationMs)
    {
        var tags = new System.Diagnostics.TagList
        {
            { "script_name", script },
            { "instance_name", instance },
            { "state", state.ToWire() },
        };
        if (ExitLabel(state, exitCode) is { } exit)
        {
            tags.Add(exit);
        }

        _ended.Add(1, tags);
        _duration.Record(durationMs / 1000.0, new("script_name", script), new("instance_name", instance));
    }

    /// <summary>
    /// <c>exit_code="N"</c> for a finished run, <c>signal="N"</c> for a killed one; none when the number is unknown
    /// or out of range (a label never takes an unbounded value).
    /// </summary>
    public static KeyValuePair<string, object?>? ExitLabel(ExecutionState state, int? exitCode) => (state, exitCode) switch
    {
        (ExecutionState.Finished, >= 0 and < 256) => new("exit_code", SmallNumbers[exitCode.Value]),
        (ExecutionState.Killed, < 0 and > -256) => new("signal", SmallNumbers[-exitCode.Value]),
        _ => null,
    };
}
