using System.Collections;

namespace ScriptExec.Store;

/// <summary>
/// Named values for a statement whose text is built at run time (<see cref="ExecutionQuery"/>), bound straight onto
/// a <see cref="PreparedStatement"/>: no reflection, so the native binary runs it as it is.
/// </summary>
/// <remarks>Also a sequence of name/value pairs, which plain Dapper takes as parameters (the benchmarks' raw baseline).</remarks>
internal sealed class QueryParameters : IEnumerable<KeyValuePair<string, object>>
{
    private readonly List<KeyValuePair<string, object>> _values = [];

    public void Add(string name, object value) => _values.Add(new(name, value));

    public void BindTo(PreparedStatement statement)
    {
        foreach (var (name, value) in _values)
        {
            statement.Bind("@" + name, value);
        }
    }

    public IEnumerator<KeyValuePair<string, object>> GetEnumerator() => _values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
