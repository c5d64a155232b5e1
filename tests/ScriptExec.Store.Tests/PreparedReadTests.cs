using Microsoft.Data.Sqlite;
using ScriptExec.Core;

namespace ScriptExec.Store.Tests;

/// <summary>
/// script_execution_get keeps its statements compiled between calls (<see cref="SqliteDatabase.ReadPrepared"/>): what it
/// keeps must never be data. Each test runs the same query shape before and after a change, so the second run reuses
/// the first one's statement.
/// </summary>
public sealed class PreparedReadTests : StoreFixture
{
    private static readonly Pagination Newest = new(-50);

    [Test]
    public async Task A_repeated_query_sees_an_end_committed_between_its_runs()
    {
        var id = await StartAsync("s", "a");
        var running = new ExecutionFilter { States = [ExecutionState.Running] };
        Assert.That(Executions.Query(running, Newest).Select(e => e.Id), Is.EqualTo(new[] { id }));

        await Executions.FinishAsync(id, new ExecutionEnd(ExecutionState.Finished, 3, 10, null, false, 1_700_000_001), CancellationToken.None);

        var all = Executions.Query(ExecutionFilter.All, Newest);
        Assert.Multiple(() =>
        {
            Assert.That(Executions.Query(running, Newest), Is.Empty);
            Assert.That(all.Single().State, Is.EqualTo(ExecutionState.Finished));
            Assert.That(all.Single().ExitCode, Is.EqualTo(3));
        });
    }

    [Test]
    public async Task A_repeated_query_no_longer_returns_a_deleted_row_nor_an_old_script_name()
    {
        var deleted = await StartAsync("s", "a");
        var renamed = await StartAsync("s", "b");
        Assert.That(Executions.Query(ExecutionFilter.All, Newest), Has.Count.EqualTo(2));

        await ExecuteAsync(
            "DELETE FROM executions WHERE id = $deleted; UPDATE executions SET script_name = 't' WHERE id = $renamed;",
            ("$deleted", deleted),
            ("$renamed", renamed));

        var after = Executions.Query(ExecutionFilter.All, Newest);
        Assert.Multiple(() =>
        {
            Assert.That(after.Select(e => e.Id), Is.EqualTo(new[] { renamed }));
            Assert.That(after.Single().ScriptName, Is.EqualTo("t"));
        });
    }

    [Test]
    public async Task A_read_that_fails_on_a_bad_row_holds_no_snapshot_and_the_next_query_works()
    {
        var bad = await StartAsync("s", "a");
        await ExecuteAsync("UPDATE executions SET state = 'exploded' WHERE id = $id;", ("$id", bad));

        Assert.Throws<InvalidDataException>(() => Executions.Query(ExecutionFilter.All, Newest));

        // A statement left mid-read would pin its snapshot, and a truncating checkpoint could not finish (busy = 1).
        var busy = Db.ReadConsistent(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            using var reader = command.ExecuteReader();
            reader.Read();
            return reader.GetInt64(0);
        });
        var good = await StartAsync("s", "b");
        Assert.Multiple(() =>
        {
            Assert.That(busy, Is.Zero, "checkpoint blocked by a reader");
            Assert.That(Executions.Query(new ExecutionFilter { States = [ExecutionState.Running] }, Newest).Select(e => e.Id),
                Is.EqualTo(new[] { good }));
        });
    }

    [Test]
    public async Task Concurrent_queries_each_get_their_own_rows()
    {
        var ids = new List<long>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add(await StartAsync("s", "i" + i));
        }

        var mismatches = 0;
        await Parallel.ForAsync(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 8 }, (call, _) =>
        {
            var instance = call % 20;
            var filter = new ExecutionFilter { Instances = [new InstanceSelector("s", ["i" + instance])] };
            var rows = Executions.Query(filter, Newest);
            if (rows.Count != 1 || rows[0].Id != ids[instance] || rows[0].InstanceName != "i" + instance)
            {
                Interlocked.Increment(ref mismatches);
            }

            return ValueTask.CompletedTask;
        });

        Assert.That(mismatches, Is.Zero);
    }

    [Test]
    public void A_closed_database_refuses_to_read()
    {
        Executions.Query(ExecutionFilter.All, Newest);
        var closed = new SqliteDatabase(new StoreOptions { DatabasePath = Db.DatabasePath });
        var store = new ExecutionStore(closed);
        store.Query(ExecutionFilter.All, Newest);
        closed.Dispose();

        Assert.Throws<ObjectDisposedException>(() => store.Query(ExecutionFilter.All, Newest));
    }

    [Test]
    public void Binding_a_value_of_another_type_is_refused_by_name()
    {
        using var connection = new SqliteConnection($"Data Source={Db.DatabasePath}");
        connection.Open();
        using var statement = PreparedStatement.Prepare(connection.Handle!, "SELECT @value;");

        var refused = Assert.Throws<ArgumentException>(() => statement.Bind("@value", 1.5));
        Assert.That(refused!.Message, Does.Contain("@value"));
    }
}
