using System.Collections;
using Microsoft.Data.Sqlite;

namespace ScriptExec.Store;

/// <summary>
/// Named values for a statement whose text is built at run time (<see cref="ExecutionQuery"/>), bound straight onto
/// a <see cref="SqliteCommand"/>: no reflection, so the native binary runs it as it is.
/// </summary>
/// <remarks>Also a sequence of name/value pairs, which plain Dapper takes as parameters (the benchmarks' raw baseline).</remarks>
internal sealed class QueryParameters : IEnumerable<KeyValuePair<string, object>>
{
    private readonly List<KeyValuePair<string, object>> _values = [];

    public void Add(string name, object value) => _values.Add(new(name, value));

    public void BindTo(SqliteCommand command)
    {
        foreach (var (name, value) in _values)
        {
            command.Parameters.AddWithValue("@" + name, value);
        }
    }

    public IEnumerator<KeyValuePair<string, object>> GetEnumerator() => _values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
