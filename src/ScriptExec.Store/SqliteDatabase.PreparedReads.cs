using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ScriptExec.Store;

/// <content>
/// Read connections that keep their compiled statements: the queries a dashboard repeats (script_execution_get)
/// skip SQLite's parse and plan and the pool's open and close on every call.
/// </content>
/// <remarks>
/// Only compiled SQL is kept, never data: a statement is reset after every run, so each run starts a new read of the
/// latest committed snapshot (WAL), and SQLite recompiles a statement by itself after a schema change. A session
/// serves one caller at a time; one that failed is closed rather than reused. Its connection is opened read-only and
/// without SQLite's per-connection mutex (only one thread uses it at a time): a page of executions reads about a
/// thousand values, each of which took and released that mutex.
/// </remarks>
public sealed partial class SqliteDatabase
{
    // Idle sessions kept open: the callers that read at once (a few clients, the thread pool's width). More callers
    // than this still get a session each; the extra ones are closed after use.
    private const int MaxIdleReadSessions = 4;

    // Statements per session. The SQL of ExecutionQuery depends only on the shape of a filter, so a dashboard uses a
    // handful; a client cycling through many shapes only makes a session start over.
    private const int MaxStatementsPerSession = 32;

    private readonly Stack<ReadSession> _idleReadSessions = new();
    private readonly Lock _readSessionsGate = new();
    private bool _readSessionsClosed;

    /// <summary>
    /// Runs <paramref name="sql"/> on a read connection that keeps it compiled for the next call with the same text;
    /// <paramref name="bind"/> gives its parameters (none kept from the last call), <paramref name="read"/> steps
    /// through its rows.
    /// </summary>
    /// <remarks>For SQL that is constant or built from a filter's shape only, never from values: the text is the cache key.</remarks>
    internal T ReadPrepared<TState, T>(
        string sql, TState state, Action<PreparedStatement, TState> bind, Func<PreparedStatement, TState, T> read)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(bind);
        ArgumentNullException.ThrowIfNull(read);
        var session = TakeReadSession();
        bool healthy = false;
        try
        {
            Trace(session.Db);
            var statement = session.Statement(sql);
            try
            {
                bind(statement, state);
                var result = read(statement, state);
                healthy = true;
                return result;
            }
            finally
            {
                // Ends the statement's read transaction at once: a reader left open would hold back checkpoints.
                statement.Reset();
            }
        }
        finally
        {
            ReturnReadSession(session, healthy);
        }
    }

    private ReadSession TakeReadSession()
    {
        lock (_readSessionsGate)
        {
            ObjectDisposedException.ThrowIf(_readSessionsClosed, this);
            if (_idleReadSessions.TryPop(out var idle))
            {
                return idle;
            }
        }

        return ReadSession.Open(DatabasePath);
    }

    private void ReturnReadSession(ReadSession session, bool healthy)
    {
        if (healthy)
        {
            lock (_readSessionsGate)
            {
                if (!_readSessionsClosed && _idleReadSessions.Count < MaxIdleReadSessions)
                {
                    _idleReadSessions.Push(session);
                    return;
                }
            }
        }

        session.Dispose();
    }

    private void CloseReadSessions()
    {
        ReadSession[] idle;
        lock (_readSessionsGate)
        {
            _readSessionsClosed = true;
            idle = [.. _idleReadSessions];
            _idleReadSessions.Clear();
        }

        foreach (var session in idle)
        {
            session.Dispose();
        }
    }

    /// <summary>One open read connection and the statements compiled on it, by SQL text.</summary>
    private sealed class ReadSession : IDisposable
    {
        // As Microsoft.Data.Sqlite's connections here (DefaultTimeout = 30): a reader waits out a WAL restart.
        private const int BusyTimeoutMs = 30_000;

        private readonly Dictionary<string, PreparedStatement> _statements = new(StringComparer.Ordinal);

        private ReadSession(sqlite3 db)
        {
            Db = db;
        }

        public sqlite3 Db { get; }

        public static ReadSession Open(string path)
        {
            var rc = raw.sqlite3_open_v2(path, out sqlite3 db, raw.SQLITE_OPEN_READONLY | raw.SQLITE_OPEN_NOMUTEX | raw.SQLITE_OPEN_PRIVATECACHE, null);
            try
            {
                SqliteException.ThrowExceptionForRC(rc, db);
                SqliteException.ThrowExceptionForRC(raw.sqlite3_busy_timeout(db, BusyTimeoutMs), db);
            }
            catch (SqliteException)
            {
                db.Dispose();
                throw;
            }

            return new ReadSession(db);
        }

        public PreparedStatement Statement(string sql)
        {
            if (_statements.TryGetValue(sql, out var statement))
            {
                return statement;
            }

            if (_statements.Count >= MaxStatementsPerSession)
            {
                DisposeStatements();
            }

            statement = PreparedStatement.Prepare(Db, sql);
            _statements.Add(sql, statement);
            return statement;
        }

        public void Dispose()
        {
            // Statements first: a connection closed under unfinalized statements stays open until they are.
            DisposeStatements();
            Db.Dispose();
        }

        private void DisposeStatements()
        {
            foreach (var statement in _statements.Values)
            {
                statement.Dispose();
            }

            _statements.Clear();
        }
    }
}
