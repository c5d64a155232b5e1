using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ScriptExec.Store;

/// <summary>Statement tracing: what a request costs in SQL, counted by tests and visible when diagnosing.</summary>
public sealed partial class SqliteDatabase
{
    // One delegate for every connection: it reads the current listener, so connections traced earlier fall
    // silent when tracing stops (pooled readers keep their registration until they are closed).
    private readonly strdelegate_trace _onStatement;
    private volatile Action<string>? _statementListener;

    /// <summary>
    /// Reports the text of every statement this database runs from now on (reads and writes, BEGIN and COMMIT
    /// included) to <paramref name="listener"/>; null stops. Costs nothing while off.
    /// </summary>
    public void TraceStatements(Action<string>? listener)
    {
        _writeLock.Wait();
        try
        {
            _statementListener = listener;
            Trace(_writer);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void Trace(SqliteConnection connection) => Trace(connection.Handle!);

    private void Trace(sqlite3 db)
    {
        if (_statementListener is not null)
        {
            raw.sqlite3_trace(db, _onStatement, null);
        }
    }

    private void OnStatement(object userData, string statement) => _statementListener?.Invoke(statement);
}
