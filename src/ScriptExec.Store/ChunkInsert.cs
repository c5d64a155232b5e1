using Microsoft.Data.Sqlite;

namespace ScriptExec.Store;

/// <summary>
/// Writes finished <see cref="OutputChunkBuilder"/>s into <c>output_chunks</c>: one prepared command re-bound per
/// chunk, for the capture writer and for migration 8 alike.
/// </summary>
internal sealed class ChunkInsert : IDisposable
{
    private const string Sql = """
        INSERT INTO output_chunks (execution_id, first_line, line_count, streams, lines)
        VALUES ($execution, $first, $count, $streams, $lines);
        """;

    private readonly SqliteCommand _command;
    private readonly SqliteParameter _execution;
    private readonly SqliteParameter _first;
    private readonly SqliteParameter _count;
    private readonly SqliteParameter _streams;
    private readonly SqliteParameter _lines;

    public ChunkInsert(SqliteConnection connection, SqliteTransaction transaction)
    {
        _command = connection.CreateCommand();
        _command.Transaction = transaction;
        _command.CommandText = Sql;
        _execution = _command.Parameters.Add("$execution", SqliteType.Integer);
        _first = _command.Parameters.Add("$first", SqliteType.Integer);
        _count = _command.Parameters.Add("$count", SqliteType.Integer);
        _streams = _command.Parameters.Add("$streams", SqliteType.Integer);
        _lines = _command.Parameters.Add("$lines", SqliteType.Blob);
        _command.Prepare();
    }

    /// <summary>Stores <paramref name="chunk"/> and clears it for the next lines.</summary>
    public void Write(OutputChunkBuilder chunk)
    {
        _execution.Value = chunk.ExecutionId;
        _first.Value = chunk.FirstLine;
        _count.Value = chunk.LineCount;
        _streams.Value = chunk.Streams;
        _lines.Value = chunk.Encoded.ToArray();
        _command.ExecuteNonQuery();
        chunk.Clear();
    }

    public void Dispose() => _command.Dispose();
}
