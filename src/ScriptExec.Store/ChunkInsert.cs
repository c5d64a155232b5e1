using Microsoft.Data.Sqlite;

namespace ScriptExec.Store;

/// <summary>
/// Writes finished <see cref="OutputChunkBuilder"/>s into <c>output_chunks</c>: one statement prepared per
/// transaction and re-bound per chunk, for the capture writer and for migration 8 alike. The statement is SQLite's
/// own (<see cref="PreparedStatement"/> on the connection's handle, in the caller's transaction) because a <see cref="SqliteParameter"/> takes a BLOB
/// only as an array of its exact length: a copy of every chunk on the managed heap, which a flood of output turned
/// into a large share of the daemon's work (the bytes are bound from the builder's buffer instead; SQLite copies them).
/// </summary>
internal sealed class ChunkInsert : IDisposable
{
    private const string Sql = """
        INSERT INTO output_chunks (execution_id, first_line, line_count, streams, lines)
        VALUES (?1, ?2, ?3, ?4, ?5);
        """;

    private readonly PreparedStatement _statement;

    /// <param name="transaction">The transaction the rows go into; it must be the connection's current one.</param>
    public ChunkInsert(SqliteConnection connection, SqliteTransaction transaction)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        _statement = PreparedStatement.Prepare(connection.Handle ?? throw new InvalidOperationException("the connection is not open"), Sql);
    }

    /// <summary>Stores <paramref name="chunk"/> and clears it for the next lines.</summary>
    public void Write(OutputChunkBuilder chunk)
    {
        try
        {
            _statement.Bind(1, chunk.ExecutionId);
            _statement.Bind(2, chunk.FirstLine);
            _statement.Bind(3, chunk.LineCount);
            _statement.Bind(4, chunk.Streams);
            _statement.Bind(5, chunk.Encoded);
            _statement.Step();
        }
        finally
        {
            _statement.Reset();
        }

        chunk.Clear();
    }

    public void Dispose() => _statement.Dispose();
}
