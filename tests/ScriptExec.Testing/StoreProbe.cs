using Microsoft.Data.Sqlite;

namespace ScriptExec.Testing;

/// <summary>Looks into a daemon's SQLite file from outside, as an operator would with the sqlite3 shell.</summary>
public static class StoreProbe
{
    /// <summary><c>PRAGMA integrity_check</c> of the store in <paramref name="dataDir"/>: "ok" when it is sound.</summary>
    public static string? IntegrityCheck(string dataDir)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(dataDir, "scriptexec.db"),
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check;";
        return command.ExecuteScalar() as string;
    }
}
