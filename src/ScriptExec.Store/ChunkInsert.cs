using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ScriptExec.Store;

/// <summary>
/// Writes finished <see cref="OutputChunkBuilder"/>s into <c>output_chunks</c>: one statement prepared per
/// transaction and re-bound per chunk, for the capture writer and for migration 8 alike. The statement is SQLite's
/// own (the connection's handle, in the caller's transaction) because a <see cref="SqliteParameter"/> takes a BLOB
/// only as an array of its exact length: a copy of every chunk on the managed heap, which a flood of output turned
/// into a large share of the daemon's work (the bytes are bound from the builder's buffer instead; SQLite copies them).
/// </summary>
internal sealed class ChunkInsert : IDisposable
{
    private const string Sql = """
        INSERT INTO output_chunks (execution_id, first_line, line_count, streams, lines)
        VALUES (?1, ?2, ?3, ?4, ?5);
        """;

    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;

    /// <param name="transaction">The transaction the rows go into; it must be the connection's current one.</param>
    public ChunkInsert(SqliteConnection connection, SqliteTransaction transaction)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        _db = connection.Handle ?? throw new InvalidOperationException("the connection is not open");
        var rc = raw.sqlite3_prepare_v2(_db, Sql, out _statement);
        SqliteException.ThrowExceptionForRC(rc, _db);
    }

    /// <summary>Stores <paramref name="chunk"/> and clears it for the next lines.</summary>
    public void Write(OutputChunkBuilder chunk)
    {
        try
        {
            Check(raw.sqlite3_bind_int64(_statement, 1, chunk.ExecutionId));
            Check(raw.sqlite3_bind_int64(_statement, 2, chunk.FirstLine));
            Check(raw.sqlite3_bind_int64(_statement, 3, chunk.LineCount));
            Check(raw.sqlite3_bind_int64(_statement, 4, chunk.Streams));
            Check(raw.sqlite3_bind_blob(_statement, 5, chunk.Encoded));
            var rc = raw.sqlite3_step(_statement);
            if (rc != raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }
        }
        finally
        {
            raw.sqlite3_reset(_statement);
            raw.sqlite3_clear_bindings(_statement);
        }

        chunk.Clear();
    }

    public void Dispose() => _statement.Dispose();

    private void Check(int rc) => SqliteException.ThrowExceptionForRC(rc, _db);
}
