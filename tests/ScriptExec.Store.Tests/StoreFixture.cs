using ScriptExec.Core;

namespace ScriptExec.Store.Tests;

/// <summary>A store on a fresh SQLite file in a temp dir, per test.</summary>
public abstract class StoreFixture
{
    private string _dir = "";

    protected SqliteDatabase Db { get; private set; } = null!;

    protected ExecutionStore Executions { get; private set; } = null!;

    protected ScriptStore Scripts { get; private set; } = null!;

    /// <summary>What <see cref="Scripts"/> reported as stored but not loadable.</summary>
    protected UnloadableRows Unloadable { get; private set; } = null!;

    [SetUp]
    public void OpenStore()
    {
        _dir = Directory.CreateTempSubdirectory("scriptexec-store-").FullName;
        Db = new SqliteDatabase(new StoreOptions { DatabasePath = Path.Combine(_dir, "scriptexec.db") });
        Executions = new ExecutionStore(Db);
        Unloadable = new UnloadableRows(Microsoft.Extensions.Logging.Abstractions.NullLogger<UnloadableRows>.Instance);
        Scripts = new ScriptStore(Db, Unloadable);
    }

    [TearDown]
    public void CloseStore()
    {
        Db.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    protected async Task<long> StartAsync(string script, string instance, string version = "v1", Trigger? trigger = null, long ts = 1_700_000_000) =>
        await Executions.InsertStartedAsync(
            new NewExecution(script, instance, version, ts, trigger ?? Trigger.Manual("root"), "-v"), CancellationToken.None);

    /// <summary>Runs <paramref name="sql"/> in a write transaction of its own, as a test's hand-made change to the rows.</summary>
    protected Task<int> ExecuteAsync(string sql, params (string Name, object Value)[] parameters) =>
        Db.WriteAsync(
            (connection, transaction) =>
            {
                using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = sql;
                foreach (var (name, value) in parameters)
                {
                    command.Parameters.AddWithValue(name, value);
                }

                return command.ExecuteNonQuery();
            },
            CancellationToken.None);

    /// <summary>
    /// Holds the writer connection (a consistent read that waits) until the result is disposed: nothing is committed
    /// meanwhile, so what is queued is written together, whatever the timing.
    /// </summary>
    protected async Task<IAsyncDisposable> HoldWriterAsync()
    {
        var held = new ManualResetEventSlim();
        var release = new ManualResetEventSlim();
        var holder = Task.Run(() => Db.ReadConsistent(_ =>
        {
            held.Set();
            release.Wait(TimeSpan.FromMinutes(1));
            return 0;
        }));
        Assert.That(held.Wait(TimeSpan.FromSeconds(30)), Is.True, "the writer connection was taken");
        return new WriterHold(holder, held, release);
    }

    private sealed class WriterHold(Task holder, ManualResetEventSlim held, ManualResetEventSlim release) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            release.Set();
            await holder;
            held.Dispose();
            release.Dispose();
        }
    }
}
