using ScriptExec.Core;
using ScriptExec.Store;

namespace ScriptExec.Supervisor;

/// <summary>
/// Counts by state and duration statistics over all executions, kept in memory and moved with every transition,
/// so <c>status</c> costs no query. Loaded from the store at start-up and reloaded after bulk changes (recovery, pruning).
/// </summary>
public sealed class ExecutionStatistics
{
    private readonly Lock _lock = new();
    private readonly ExecutionStore _store;
    private ExecutionCounts _counts = ExecutionCounts.Empty;
    private double _durationSum;

    public ExecutionStatistics(ExecutionStore store)
    {
        _store = store;
        Reload();
    }

    public ExecutionCounts Current
    {
        get
        {
            lock (_lock)
            {
                return _counts;
            }
        }
    }

    /// <summary>Recounts from the store; transitions commit and update these counts under the same lock, so none is lost or doubled.</summary>
    public void Reload()
    {
        var counts = _store.AggregateConsistent();
        lock (_lock)
        {
            _counts = counts;
            _durationSum = counts.DurationAverageMs * counts.DurationCount;
        }
    }

    public void Started() => Update(c => c with { Running = c.Running + 1 });

    public void Terminating() => Update(c => c with { Running = c.Running - 1, Terminating = c.Terminating + 1 });

    public void Ended(ExecutionState from, ExecutionState to, int? exitCode, long durationMs)
    {
        lock (_lock)
        {
            var c = from == ExecutionState.Terminating
                ? _counts with { Terminating = _counts.Terminating - 1 }
                : _counts with { Running = _counts.Running - 1 };
            if (to == ExecutionState.Killed)
            {
                _counts = c with { Killed = c.Killed + 1 };
                return;
            }

            _durationSum += durationMs;
            var count = c.DurationCount + 1;
            _counts = c with
            {
                Finished = c.Finished + 1,
                FinishedExitZero = c.FinishedExitZero + (exitCode == 0 ? 1 : 0),
                FinishedExitNonZero = c.FinishedExitNonZero + (exitCode is not null and not 0 ? 1 : 0),
                DurationCount = count,
                DurationAverageMs = _durationSum / count,
                DurationMinMs = Math.Min(c.DurationMinMs ?? durationMs, durationMs),
                DurationMaxMs = Math.Max(c.DurationMaxMs ?? durationMs, durationMs),
            };
        }
    }

    private void Update(Func<ExecutionCounts, ExecutionCounts> change)
    {
        lock (_lock)
        {
            _counts = change(_counts);
        }
    }
}
