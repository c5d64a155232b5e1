using Dapper;

namespace ScriptExec.Store;

/// <summary>The persisted state tree: one JSON document, written through on every change.</summary>
public sealed class StateStore
{
    private const string LoadSql = "SELECT document FROM state_tree WHERE id = 1;";

    private const string SaveSql = """
        INSERT INTO state_tree (id, document) VALUES (1, @document)
        ON CONFLICT (id) DO UPDATE SET document = excluded.document;
        """;

    private const string QuarantineSql = """
        INSERT INTO quarantined_rows (source_table, row_key, reason, content, quarantined_timestamp)
        VALUES ('state_tree', '1', @reason, @content, @timestamp)
        RETURNING id;
        """;

    private readonly SqliteDatabase _db;

    public StateStore(SqliteDatabase db)
    {
        _db = db;
    }

    public string? Load()
    {
        using var connection = _db.OpenRead();
        return connection.QuerySingleOrDefault<string>(LoadSql);
    }

    public void Save(string document) => _db.Write((c, t) => c.Execute(SaveSql, new { document }, t));

    /// <summary>
    /// Keeps <paramref name="original"/> in <c>quarantined_rows</c> and stores <paramref name="loadable"/> in its place,
    /// in one transaction: the next write of the tree can then never lose what could not be loaded. Returns the
    /// quarantine row's id.
    /// </summary>
    public long Quarantine(string original, string loadable, string reason, long timestamp) =>
        _db.Write((c, t) =>
        {
            var id = c.ExecuteScalar<long>(QuarantineSql, new { reason, content = original, timestamp }, t);
            c.Execute(SaveSql, new { document = loadable }, t);
            return id;
        });
}
