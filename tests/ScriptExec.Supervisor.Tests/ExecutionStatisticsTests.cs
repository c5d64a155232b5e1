using ScriptExec.Core;
using ScriptExec.Store;

namespace ScriptExec.Supervisor.Tests;

/// <summary>
/// The in-memory counts must always equal what the store would count: each transition is applied to a real store
/// and to the statistics, as the supervisor does, and the two compared.
/// </summary>
public sealed class ExecutionStatisticsTests
{
    private string _dir = "";
    private SqliteDatabase _db = null!;
    private ExecutionStore _store = null!;

    [SetUp]
    public void OpenStore()
    {
        _dir = Directory.CreateTempSubdirectory("scriptexec-statistics-").FullName;
        _db = new SqliteDatabase(new StoreOptions { DatabasePath = Path.Combine(_dir, "scriptexec.db") });
        _store = new ExecutionStore(_db);
    }

    [TearDown]
    public void CloseStore()
    {
        _db.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private Task<long> StartAsync() =>
        _store.InsertStartedAsync(new NewExecution("s", "i", "v1", 1, Trigger.Manual("root"), null), CancellationToken.None);

    private Task EndAsync(long id, ExecutionState state, int? exitCode, long durationMs) =>
        _store.FinishAsync(id, new ExecutionEnd(state, exitCode, durationMs, null, false, 2), CancellationToken.None);

    private static void AssertSame(ExecutionCounts actual, ExecutionCounts expected, string step) =>
        Assert.That(actual with { DurationAverageMs = 0 }, Is.EqualTo(expected with { DurationAverageMs = 0 }), step);

    [Test]
    public void A_new_store_counts_nothing()
    {
        Assert.That(new ExecutionStatistics(_store).Current, Is.EqualTo(ExecutionCounts.Empty));
    }

    [Test]
    public async Task Loading_counts_what_the_store_holds()
    {
        var finished = await StartAsync();
        await EndAsync(finished, ExecutionState.Finished, 0, 40);
        var killed = await StartAsync();
        await EndAsync(killed, ExecutionState.Killed, -9, 5);
        var terminating = await StartAsync();
        await _store.MarkTerminatingAsync(terminating, Trigger.Manual("root"), CancellationToken.None);
        await StartAsync();

        var counts = new ExecutionStatistics(_store).Current;

        Assert.That(counts, Is.EqualTo(new ExecutionCounts(1, 1, 1, 1, 1, 0, 1, 40.0, 40, 40)));
    }

    [Test]
    public async Task Every_transition_keeps_the_counts_equal_to_the_stores()
    {
        var statistics = new ExecutionStatistics(_store);
        var random = new Random(20261130);
        var active = new List<(long Id, ExecutionState State)>();
        for (var step = 0; step < 200; step++)
        {
            var action = active.Count == 0 ? 0 : random.Next(4);
            if (action == 0)
            {
                active.Add((await StartAsync(), ExecutionState.Running));
                statistics.Started();
            }
            else if (action == 1 && active.FindIndex(a => a.State == ExecutionState.Running) is var running and >= 0)
            {
                await _store.MarkTerminatingAsync(active[running].Id, Trigger.Manual("root"), CancellationToken.None);
                active[running] = (active[running].Id, ExecutionState.Terminating);
                statistics.Terminating();
            }
            else
            {
                var index = random.Next(active.Count);
                var (id, from) = active[index];
                active.RemoveAt(index);

                // Exit codes include null: a recovered run of unknown fate is finished without one.
                var to = random.Next(3) == 0 ? ExecutionState.Killed : ExecutionState.Finished;
                int? exitCode = to == ExecutionState.Killed ? -15 : random.Next(4) switch { 0 => null, 1 => 0, _ => random.Next(1, 5) };
                var duration = random.Next(0, 10_000);
                await EndAsync(id, to, exitCode, duration);
                statistics.Ended(from, to, exitCode, duration);
            }

            var expected = _store.Aggregate();
            AssertSame(statistics.Current, expected, $"after step {step}");
            Assert.That(statistics.Current.DurationAverageMs, Is.EqualTo(expected.DurationAverageMs).Within(1e-6), $"average after step {step}");
        }
    }

    [Test]
    public async Task Reload_after_a_bulk_change_recounts_and_later_transitions_build_on_it()
    {
        var statistics = new ExecutionStatistics(_store);
        var old = await StartAsync();
        statistics.Started();
        await EndAsync(old, ExecutionState.Finished, 0, 100);
        statistics.Ended(ExecutionState.Running, ExecutionState.Finished, 0, 100);
        var kept = await StartAsync();
        statistics.Started();
        await EndAsync(kept, ExecutionState.Finished, 1, 300);
        statistics.Ended(ExecutionState.Running, ExecutionState.Finished, 1, 300);

        // Pruning removes rows behind the statistics' back; the supervisor reloads them after it.
        await new RetentionStore(_db).PruneToCountAsync(1, CancellationToken.None);
        statistics.Reload();
        var afterReload = statistics.Current;
        var next = await StartAsync();
        statistics.Started();
        await EndAsync(next, ExecutionState.Finished, 0, 500);
        statistics.Ended(ExecutionState.Running, ExecutionState.Finished, 0, 500);

        Assert.Multiple(() =>
        {
            Assert.That(afterReload, Is.EqualTo(new ExecutionCounts(0, 0, 1, 0, 0, 1, 1, 300.0, 300, 300)));
            Assert.That(statistics.Current, Is.EqualTo(new ExecutionCounts(0, 0, 2, 0, 1, 1, 2, 400.0, 300, 500)));
            Assert.That(statistics.Current, Is.EqualTo(_store.Aggregate()));
        });
    }
}
