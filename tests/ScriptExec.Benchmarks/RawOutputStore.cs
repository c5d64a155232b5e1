using System.Diagnostics;
using Microsoft.Data.Sqlite;
using ScriptExec.Store;

namespace ScriptExec.Benchmarks;

/// <summary>
/// The bulk output's floor in SQLite alone: the same bytes written as the store writes them (BLOB chunks of
/// <see cref="OutputChunk.MaxBytes"/> in a table of the store's shape, transactions of 1 MiB, WAL with
/// <c>synchronous=NORMAL</c>) by one thread with nothing else to do: no pipe, no line splitting, no script beside
/// it. Once with SQLite's automatic checkpoint, as any store whose log stays small must fold it back during a flood
/// (scriptexecd does it on a thread of its own and bounds the log at 16 MiB), and once with none (the log grows as
/// large as the flood and is folded in after it).
/// </summary>
internal static class RawOutputStore
{
    private const int CommitBytes = 1024 * 1024;

    public static Task<double> MeasureAsync(string directory, long bytes, bool checkpoint, CancellationToken cancellationToken) => Task.Run(() =>
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, checkpoint ? "raw-output.db" : "raw-output-nocheckpoint.db");
        using var db = new SqliteConnection($"Data Source={path};Pooling=False");
        db.Open();
        Execute(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;" + (checkpoint ? "" : " PRAGMA wal_autocheckpoint=0;"));
        Execute(db, """
            CREATE TABLE output_chunks (
                execution_id INTEGER NOT NULL, first_line INTEGER NOT NULL, line_count INTEGER NOT NULL,
                streams INTEGER NOT NULL, lines BLOB NOT NULL, PRIMARY KEY (execution_id, first_line)) WITHOUT ROWID;
            """);
        using var insert = db.CreateCommand();
        insert.CommandText = "INSERT INTO output_chunks VALUES (1, $first, $count, 1, $lines)";
        var first = insert.Parameters.Add("$first", SqliteType.Integer);
        var count = insert.Parameters.Add("$count", SqliteType.Integer);
        var chunk = new byte[OutputChunk.MaxBytes];
        Array.Fill(chunk, (byte)'0');
        insert.Parameters.Add("$lines", SqliteType.Blob).Value = chunk;
        var linesPerChunk = chunk.Length / OutputCapture.LineBytes;

        var started = Stopwatch.GetTimestamp();
        long written = 0, line = 1;
        while (written < bytes)
        {
            using var transaction = db.BeginTransaction();
            insert.Transaction = transaction;
            for (var inCommit = 0; inCommit < CommitBytes && written < bytes; inCommit += chunk.Length, written += chunk.Length)
            {
                first.Value = line;
                count.Value = linesPerChunk;
                insert.ExecuteNonQuery();
                line += linesPerChunk;
            }

            transaction.Commit();
        }

        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        db.Close();
        foreach (var file in Directory.GetFiles(directory, Path.GetFileName(path) + "*"))
        {
            File.Delete(file);
        }

        return elapsed;
    }, cancellationToken);

    private static void Execute(SqliteConnection db, string sql)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
