using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ScriptExec.Core;

namespace ScriptExec.Store;

/// <summary>
/// The SQLite file: pooled read connections for queries, and one writer connection behind a lock, so there is
/// exactly one write path (SQLite allows one writer at a time anyway; queuing here avoids SQLITE_BUSY retries).
/// A write the storage refuses (full, read-only, I/O error) is rolled back and reported as
/// <see cref="ErrorKind.Unavailable"/>; see <see cref="WriteKind"/> for what is still written on a full disk.
/// </summary>
public sealed partial class SqliteDatabase : IDisposable
{
    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    // The write-ahead log beside the file.
    private readonly string _logPath;

    public SqliteDatabase(StoreOptions options)
        : this(options, NullLogger<SqliteDatabase>.Instance, TimeProvider.System)
    {
    }

    public SqliteDatabase(StoreOptions options, ILogger<SqliteDatabase> logger, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(options);
        _onStatement = OnStatement;
        _logger = logger;
        _clock = clock;
        Availability = new StoreAvailability(logger, clock);
        _reserve = new StorageReserve(options.ReservePath, options.ReserveBytes);
        if (options.Synchronous is not ("OFF" or "NORMAL" or "FULL" or "EXTRA"))
        {
            throw new ArgumentException($"store synchronous level '{options.Synchronous}' is not one of OFF, NORMAL, FULL, EXTRA", nameof(options));
        }

        DatabasePath = Path.GetFullPath(options.DatabasePath);
        _logPath = DatabasePath + "-wal";
        Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();

        _writer = new SqliteConnection(_connectionString);
        _writer.Open();
        RestrictFileMode(DatabasePath);

        // WAL lets readers proceed while the writer commits; the mode is stored in the file.
        Pragma(_writer, "journal_mode = WAL");
        Pragma(_writer, $"synchronous = {options.Synchronous}");
        Pragma(_writer, $"journal_size_limit = {LogFileKeptBytes}");
        Pragma(_writer, "foreign_keys = ON");
        Migrations.Apply(_writer);
        if (_reserve.IsEnabled && !_reserve.TryAllocate())
        {
            Log.ReserveMissing(logger, _reserve.Bytes, options.ReservePath!);
        }
    }

    public string DatabasePath { get; }

    /// <summary>Opens a pooled connection for reading. The caller disposes it, which returns it to the pool.</summary>
    public SqliteConnection OpenRead()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Trace(connection);
        return connection;
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a transaction on the single writer connection. <paramref name="committed"/>
    /// runs after the commit, still holding the write lock: in-memory state that mirrors the store (statistics)
    /// changes in the same order as the store, never interleaved with <see cref="ReadConsistent{T}"/>.
    /// </summary>
    public async Task<T> WriteAsync<T>(
        Func<SqliteConnection, SqliteTransaction, T> work, CancellationToken cancellationToken, Action<T>? committed = null,
        WriteKind kind = WriteKind.Request)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            return WriteLocked(work, committed, kind);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Runs <paramref name="work"/> in a transaction on the writer, blocking: for start-up and shutdown paths.</summary>
    public T Write<T>(Func<SqliteConnection, SqliteTransaction, T> work, WriteKind kind = WriteKind.Request)
    {
        _writeLock.Wait();
        try
        {
            return WriteLocked(work, null, kind);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Reads on the writer connection holding the write lock: sees no commit in progress and none starts.</summary>
    public T ReadConsistent<T>(Func<SqliteConnection, T> read)
    {
        _writeLock.Wait();
        try
        {
            return read(_writer);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private long _sizeBytes;

    // Environment.TickCount64 is milliseconds since boot, so 0 means "read on first use".
    private long _sizeNextReadAt;

    /// <summary>
    /// <see cref="SizeBytes"/>, read at most once a second: dashboards poll status often and the size is
    /// informational.
    /// </summary>
    public long CachedSizeBytes()
    {
        var now = Environment.TickCount64;
        if (now >= Interlocked.Read(ref _sizeNextReadAt))
        {
            Interlocked.Exchange(ref _sizeBytes, SizeBytes());
            Interlocked.Exchange(ref _sizeNextReadAt, now + 1000);
        }

        return Interlocked.Read(ref _sizeBytes);
    }

    /// <summary>Size of the database file plus its write-ahead log, in bytes.</summary>
    public long SizeBytes() => FileBytes(DatabasePath) + FileBytes(_logPath);

    /// <summary>A file's length, 0 when it does not exist.</summary>
    private static long FileBytes(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    public void Dispose()
    {
        CloseReadSessions();
        StopCheckpointer();
        _writeLock.Wait();
        try
        {
            _probeStop.Cancel();
            try
            {
                // Fold the WAL back so the file is self-contained after a clean stop.
                Pragma(_writer, "wal_checkpoint(TRUNCATE)");
            }
            catch (SqliteException e)
            {
                // A full disk must not turn a clean stop into a crash; SQLite folds the WAL in at the next open.
                Log.CheckpointFailed(_logger, e);
            }

            DisposeWriterStatements();
            _writer.Dispose();
        }
        finally
        {
            _writeLock.Release();
            _writeLock.Dispose();
        }

        SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
    }

    /// <summary>Runs a PRAGMA on <paramref name="connection"/> (no parameters, so no Dapper needed).</summary>
    private static void Pragma(SqliteConnection connection, string pragma)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA " + pragma + ";";
        command.ExecuteNonQuery();
    }

    private static void RestrictFileMode(string path)
    {
        // Executions carry arguments and output that may be sensitive: owner read/write only.
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
