using System.Globalization;

namespace ScriptExec.Supervisor.Runtime;

/// <summary>The daemon-wide output rate; 0 turns a dimension off, both 0 turn the budget off (SPEC defaults: 20 KiB/s, 1000 lines/s).</summary>
public sealed record OutputBudgetOptions(int BytesPerSecond = 20 * 1024, int LinesPerSecond = 1000)
{
    public bool Enabled => BytesPerSecond > 0 || LinesPerSecond > 0;
}

/// <summary>
/// The answer for one captured line: keep it or drop it. When a dropped section of this execution ended with this
/// line, <see cref="DroppedBefore"/> says how many lines it held: store <see cref="MarkerBefore"/> first.
/// </summary>
public readonly record struct OutputAdmission(bool Admitted, long DroppedBefore)
{
    public string? MarkerBefore => DroppedBefore > 0 ? OutputBudget.Marker(DroppedBefore) : null;
}

/// <summary>What a run's end closes: its last dropped section (store <see cref="Marker"/> as its last line) and its total.</summary>
public readonly record struct OutputBudgetEnd(long TrailingDropped, long TotalDropped)
{
    public string? Marker => TrailingDropped > 0 ? OutputBudget.Marker(TrailingDropped) : null;
}

/// <summary>The budget as <c>status</c> shows it.</summary>
public sealed record OutputBudgetStatus(
    int BytesPerSecond, int LinesPerSecond, long AvailableBytes, long AvailableLines, int ActiveExecutions, long DroppedLines);

/// <summary>
/// The daemon-wide output budget (SPEC "output budget"): two token buckets (bytes, lines) shared by all scripts,
/// refilled at the configured rate and holding at most one second of it. Dropping is a storage decision taken per
/// line on the capture path: <see cref="Admit"/> never waits, so a script is never slowed by it.
/// </summary>
/// <remarks>
/// Who gets the budget when it runs short: each active execution (one that offered output in the last
/// <see cref="ActiveFor"/>) has a fair share, the rate divided by their number. How loud a script is, is what it
/// offers (kept or not) over about the last second, as a decaying sum, so a flooder stays a flooder across window
/// edges. A script offering less than its share may empty the buckets; one offering more may only take them down to
/// a quarter; the loudest one (most bytes offered) only down to half. So the loudest is throttled first, the others
/// over their share next, and a quiet script keeps its lines as long as any budget is left.
/// </remarks>
public sealed class OutputBudget
{
    /// <summary>The time constant of the loudness measure: about the bytes and lines of the last second.</summary>
    private static readonly TimeSpan Loudness = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan ActiveFor = TimeSpan.FromSeconds(2);

    private readonly OutputBudgetOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Dictionary<long, RunUsage> _runs = [];
    private long _lastRefill;
    private double _bytes;
    private double _lines;
    private long _droppedTotal;

    public OutputBudget(OutputBudgetOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.BytesPerSecond);
        ArgumentOutOfRangeException.ThrowIfNegative(options.LinesPerSecond);
        _options = options;
        _time = time;
        _lastRefill = time.GetTimestamp();
        _bytes = options.BytesPerSecond;
        _lines = options.LinesPerSecond;
    }

    /// <summary>The marker line that replaces a dropped section.</summary>
    public static string Marker(long droppedLines) =>
        string.Create(CultureInfo.InvariantCulture, $"[scriptexec: {droppedLines} lines dropped by the output budget]");

    /// <summary>Decides whether a line of <paramref name="byteCount"/> bytes from this execution is kept.</summary>
    public OutputAdmission Admit(long executionId, int byteCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(byteCount);
        if (!_options.Enabled)
        {
            return new OutputAdmission(true, 0);
        }

        lock (_gate)
        {
            var now = Refill();
            if (!_runs.TryGetValue(executionId, out var run))
            {
                run = new RunUsage();
                _runs.Add(executionId, run);
            }

            run.Offer(now, byteCount, _time);
            if (!Fits(run, now, byteCount))
            {
                run.SectionDropped++;
                run.TotalDropped++;
                _droppedTotal++;
                return new OutputAdmission(false, 0);
            }

            _bytes -= byteCount;
            _lines -= 1;
            var droppedBefore = run.SectionDropped;
            run.SectionDropped = 0;
            return new OutputAdmission(true, droppedBefore);
        }
    }

    /// <summary>Forgets the execution (call once, when its output has ended) and returns its last dropped section and total.</summary>
    public OutputBudgetEnd Complete(long executionId)
    {
        lock (_gate)
        {
            return _runs.Remove(executionId, out var run) ? new OutputBudgetEnd(run.SectionDropped, run.TotalDropped) : default;
        }
    }

    /// <summary>Lines dropped over all executions since start (for metrics; no lock, no refill).</summary>
    public long DroppedLinesTotal => Interlocked.Read(ref _droppedTotal);

    /// <summary>Lines of this execution dropped so far (0 for an unknown one).</summary>
    public long DroppedLines(long executionId)
    {
        lock (_gate)
        {
            return _runs.TryGetValue(executionId, out var run) ? run.TotalDropped : 0;
        }
    }

    public OutputBudgetStatus Snapshot()
    {
        lock (_gate)
        {
            var now = Refill();
            return new OutputBudgetStatus(
                _options.BytesPerSecond,
                _options.LinesPerSecond,
                _options.BytesPerSecond > 0 ? (long)_bytes : 0,
                _options.LinesPerSecond > 0 ? (long)_lines : 0,
                _runs.Values.Count(run => run.IsActive(now, _time)),
                _droppedTotal);
        }
    }

    private long Refill()
    {
        var now = _time.GetTimestamp();
        var seconds = _time.GetElapsedTime(_lastRefill, now).TotalSeconds;
        _lastRefill = now;
        _bytes = Math.Min(_options.BytesPerSecond, _bytes + (seconds * _options.BytesPerSecond));
        _lines = Math.Min(_options.LinesPerSecond, _lines + (seconds * _options.LinesPerSecond));
        return now;
    }

    private bool Fits(RunUsage run, long now, int byteCount)
    {
        var active = 0;
        var loudest = true;
        foreach (var other in _runs.Values)
        {
            if (other.IsActive(now, _time))
            {
                active++;
                loudest &= other == run || other.BytesAt(now, _time) <= run.Bytes;
            }
        }

        var quiet =
            (_options.BytesPerSecond == 0 || run.Bytes <= (double)_options.BytesPerSecond / active) &&
            (_options.LinesPerSecond == 0 || run.Lines <= (double)_options.LinesPerSecond / active);
        var floor = quiet ? 0.0 : loudest ? 0.5 : 0.25;
        return Leaves(_bytes, _options.BytesPerSecond, byteCount, floor) && Leaves(_lines, _options.LinesPerSecond, 1, floor);
    }

    /// <summary>
    /// Whether taking <paramref name="cost"/> leaves the bucket at or above its floor. A line longer than what lies
    /// above the floor counts as just that much here (it is still charged in full, the bucket going into debt), so a
    /// full bucket admits any line: otherwise a low byte rate would drop long lines forever.
    /// </summary>
    private static bool Leaves(double level, int capacity, int cost, double floor) =>
        capacity == 0 || level - Math.Min(cost, (1 - floor) * capacity) >= floor * capacity;

    /// <summary>One execution's loudness (decaying sums of what it offered) and its dropped lines.</summary>
    private sealed class RunUsage
    {
        private long _updated;

        /// <summary>Bytes offered, decayed to the last offer: about the bytes of the last second.</summary>
        public double Bytes { get; private set; }

        /// <summary>Lines offered, decayed the same way.</summary>
        public double Lines { get; private set; }

        public long SectionDropped { get; set; }

        public long TotalDropped { get; set; }

        public void Offer(long now, int byteCount, TimeProvider time)
        {
            var decay = Decay(now, time);
            Bytes = (Bytes * decay) + byteCount;
            Lines = (Lines * decay) + 1;
            _updated = now;
        }

        public double BytesAt(long now, TimeProvider time) => Bytes * Decay(now, time);

        public bool IsActive(long now, TimeProvider time) => time.GetElapsedTime(_updated, now) <= ActiveFor;

        // Before the first offer both sums are 0, so whatever _updated says then does not matter.
        private double Decay(long now, TimeProvider time) =>
            Math.Exp(-time.GetElapsedTime(_updated, now) / Loudness);
    }
}
