using Microsoft.Data.Sqlite;
using ScriptExec.Core;

namespace ScriptExec.Store;

/// <summary>
/// Migration 8's data: every row of <c>output_lines</c> (one per line) goes into <c>output_chunks</c>, cut where
/// the writer would cut (a gap in line ids, <see cref="OutputChunk.MaxLines"/>, <see cref="OutputChunk.MaxBytes"/>),
/// then the old table is dropped, all in the migration's transaction: an upgrade keeps every stored line or
/// changes nothing. Streams the old table in key order, one chunk in memory at a time.
/// </summary>
internal static class OutputChunkMigration
{
    private const string SelectLinesSql = """
        SELECT execution_id, line_id, stream, timestamp_ms, content FROM output_lines ORDER BY execution_id, line_id;
        """;

    public static void Apply(SqliteConnection connection, SqliteTransaction transaction)
    {
        using var chunkInsert = new ChunkInsert(connection, transaction);

        using var chunk = new OutputChunkBuilder();
        using (var select = connection.CreateCommand())
        {
            select.Transaction = transaction;
            select.CommandText = SelectLinesSql;
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                var executionId = reader.GetInt64(0);
                var line = new OutputLine(reader.GetInt64(1), reader.GetString(4), (OutputStreamKind)reader.GetInt32(2), reader.GetInt64(3));
                if (!chunk.Accepts(executionId, line.Id))
                {
                    chunkInsert.Write(chunk);
                }

                chunk.Append(executionId, line);
            }
        }

        if (!chunk.IsEmpty)
        {
            chunkInsert.Write(chunk);
        }

        using var drop = connection.CreateCommand();
        drop.Transaction = transaction;
        drop.CommandText = "DROP TABLE output_lines;";
        drop.ExecuteNonQuery();
    }
}
