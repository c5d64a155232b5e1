using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ScriptExec.Store;

/// <content>
/// The writes every run makes (its start record, its end record, its outcome in the state tree), compiled once on the
/// writer connection and run again with new values. Through Dapper and Microsoft.Data.Sqlite each was a new command,
/// its parameters as objects, and SQLite's parse and plan: about 110 µs apiece on this machine, where the statement's
/// own work is a small part of it.
/// </content>
public sealed partial class SqliteDatabase
{
    // Touched under the write lock only, like the writer connection itself.
    private readonly Dictionary<string, PreparedStatement> _writerStatements = new(StringComparer.Ordinal);

    /// <summary>
    /// Runs <paramref name="sql"/> (one statement that returns no rows) on the writer inside the current write, with
    /// the values <paramref name="bind"/> gives it, and returns the rows it changed. <paramref name="connection"/> is
    /// the one a write's work is handed, which is the writer's.
    /// </summary>
    /// <remarks>For constant SQL only: the text is the key the compiled statement is kept under.</remarks>
    internal int ExecuteOnWriter<TState>(SqliteConnection connection, string sql, TState state, Action<PreparedStatement, TState> bind)
    {
        if (!ReferenceEquals(connection, _writer))
        {
            throw new InvalidOperationException("a compiled write runs on the writer connection, inside a write");
        }

        if (!_writerStatements.TryGetValue(sql, out var statement))
        {
            statement = PreparedStatement.Prepare(_writer.Handle!, sql);
            _writerStatements[sql] = statement;
        }

        try
        {
            bind(statement, state);
            while (statement.Step())
            {
            }

            return raw.sqlite3_changes(_writer.Handle);
        }
        finally
        {
            statement.Reset();
        }
    }

    /// <summary>Finalizes the kept statements: SQLite closes a connection only once none is left.</summary>
    private void DisposeWriterStatements()
    {
        foreach (var statement in _writerStatements.Values)
        {
            statement.Dispose();
        }

        _writerStatements.Clear();
    }
}
