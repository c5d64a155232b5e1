namespace ScriptExec.Store;

/// <summary>
/// One value set in the stored state tree as part of another write (a run's outcome with its end record).
/// <paramref name="Segments"/> are the path's segments, <paramref name="ValueJson"/> the value as JSON text.
/// </summary>
public sealed record StateTreeWrite(IReadOnlyList<string> Segments, string ValueJson)
{
    /// <summary>The SQLite JSON path: every segment quoted, so dots and dashes in names stay inside their segment.</summary>
    public string JsonPath => "$" + string.Concat(Segments.Select(s => ".\"" + s + "\""));
}
