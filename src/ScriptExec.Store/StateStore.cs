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
}
