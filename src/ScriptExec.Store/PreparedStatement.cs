using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ScriptExec.Store;

/// <summary>
/// One compiled SQLite statement, run again and again with new values (<see cref="SqliteDatabase.ReadPrepared"/>).
/// </summary>
/// <remarks>
/// Straight on SQLite's API rather than through <see cref="SqliteDataReader"/>: the reader checks the row and the
/// column type before every value, three native calls (each taking the connection's mutex) where one does. A page of
/// 50 executions is about a thousand values, and those checks were the largest cost of script_execution_get.
/// Errors come out as <see cref="SqliteException"/>, as from Microsoft.Data.Sqlite.
/// </remarks>
internal sealed class PreparedStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;

    private PreparedStatement(sqlite3 db, sqlite3_stmt statement)
    {
        _db = db;
        _statement = statement;
    }

    public static PreparedStatement Prepare(sqlite3 db, string sql)
    {
        var rc = raw.sqlite3_prepare_v2(db, sql, out sqlite3_stmt statement);
        if (rc != raw.SQLITE_OK)
        {
            statement.Dispose();
            SqliteException.ThrowExceptionForRC(rc, db);
        }

        return new PreparedStatement(db, statement);
    }

    /// <summary>Binds <paramref name="value"/> (text or integer) to the parameter written <paramref name="name"/> in the SQL, e.g. <c>@count</c>.</summary>
    public void Bind(string name, object value)
    {
        var index = raw.sqlite3_bind_parameter_index(_statement, name);
        if (index == 0)
        {
            throw new InvalidOperationException($"the statement has no parameter {name}");
        }

        var rc = value switch
        {
            string text => raw.sqlite3_bind_text(_statement, index, text),
            long integer => raw.sqlite3_bind_int64(_statement, index, integer),
            int integer => raw.sqlite3_bind_int64(_statement, index, integer),
            _ => throw new ArgumentException($"parameter {name}: {value.GetType().Name} is not bound here", nameof(value)),
        };
        SqliteException.ThrowExceptionForRC(rc, _db);
    }

    /// <summary>Binds an integer to the parameter at <paramref name="index"/> (1-based, <c>?1</c> in the SQL).</summary>
    public void Bind(int index, long value) => SqliteException.ThrowExceptionForRC(raw.sqlite3_bind_int64(_statement, index, value), _db);

    /// <summary>Binds a BLOB to the parameter at <paramref name="index"/>; SQLite copies the bytes, so no array of their exact length is needed.</summary>
    public void Bind(int index, ReadOnlySpan<byte> value) => SqliteException.ThrowExceptionForRC(raw.sqlite3_bind_blob(_statement, index, value), _db);

    /// <summary>Moves to the next row; false when there is none.</summary>
    public bool Step()
    {
        var rc = raw.sqlite3_step(_statement);
        if (rc == raw.SQLITE_ROW)
        {
            return true;
        }

        if (rc == raw.SQLITE_DONE)
        {
            return false;
        }

        SqliteException.ThrowExceptionForRC(rc, _db);
        return false;
    }

    public long GetInt64(int column) => raw.sqlite3_column_int64(_statement, column);

    public long? GetNullableInt64(int column) => IsNull(column) ? null : raw.sqlite3_column_int64(_statement, column);

    public string GetString(int column) => raw.sqlite3_column_text(_statement, column).utf8_to_string() ?? "";

    public string? GetNullableString(int column) => IsNull(column) ? null : GetString(column);

    /// <summary>Ends the run (and its read transaction) and forgets the bound values.</summary>
    public void Reset()
    {
        // sqlite3_reset repeats the error of a failed step, which Step already reported.
        _ = raw.sqlite3_reset(_statement);
        _ = raw.sqlite3_clear_bindings(_statement);
    }

    public void Dispose() => _statement.Dispose();

    private bool IsNull(int column) => raw.sqlite3_column_type(_statement, column) == raw.SQLITE_NULL;
}
