using System.Runtime.InteropServices;
using System.Text;
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
/// The values of a row are read with SQLite's functions called on the statement's pointer (<see cref="Columns"/>):
/// SQLitePCL's take the statement's SafeHandle, and each call's reference count taken and given back was an eighth
/// of script_execution_get's CPU. The statement is this object's own until <see cref="Dispose"/>, and one caller
/// at a time uses it, so the pointer cannot be freed under a read.
/// </remarks>
internal sealed partial class PreparedStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private readonly nint _handle;

    private PreparedStatement(sqlite3 db, sqlite3_stmt statement)
    {
        _db = db;
        _statement = statement;
        _handle = statement.DangerousGetHandle();
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

    /// <summary>Binds <paramref name="value"/> (text, integer or null) to the parameter written <paramref name="name"/> in the SQL, e.g. <c>@count</c>.</summary>
    public void Bind(string name, object? value)
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
            null => raw.sqlite3_bind_null(_statement, index),
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

    public long GetInt64(int column) => Columns.Int64(_handle, column);

    public long? GetNullableInt64(int column) => IsNull(column) ? null : Columns.Int64(_handle, column);

    public unsafe string GetString(int column)
    {
        // Text first, then its length: SQLite documents that order as the one that converts a value at most once.
        var text = Columns.Text(_handle, column);
        return text is null ? "" : Encoding.UTF8.GetString(text, Columns.Bytes(_handle, column));
    }

    public string? GetNullableString(int column) => IsNull(column) ? null : GetString(column);

    /// <summary>Ends the run (and its read transaction) and forgets the bound values.</summary>
    public void Reset()
    {
        // sqlite3_reset repeats the error of a failed step, which Step already reported.
        _ = raw.sqlite3_reset(_statement);
        _ = raw.sqlite3_clear_bindings(_statement);
    }

    public void Dispose() => _statement.Dispose();

    private bool IsNull(int column) => Columns.Type(_handle, column) == raw.SQLITE_NULL;

    /// <summary>
    /// SQLite's value accessors, from the module SQLitePCL's provider binds (linked into the native binary, the
    /// package's shared library under <c>dotnet run</c>).
    /// </summary>
    private static unsafe partial class Columns
    {
        [LibraryImport("e_sqlite3", EntryPoint = "sqlite3_column_int64")]
        public static partial long Int64(nint statement, int column);

        [LibraryImport("e_sqlite3", EntryPoint = "sqlite3_column_type")]
        public static partial int Type(nint statement, int column);

        [LibraryImport("e_sqlite3", EntryPoint = "sqlite3_column_text")]
        public static partial byte* Text(nint statement, int column);

        [LibraryImport("e_sqlite3", EntryPoint = "sqlite3_column_bytes")]
        public static partial int Bytes(nint statement, int column);
    }
}
