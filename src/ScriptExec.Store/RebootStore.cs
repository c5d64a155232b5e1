using Dapper;

namespace ScriptExec.Store;

/// <summary>
/// Per instance, the machine boot its <c>@reboot</c> trigger was last handled in (fired, or configured during).
/// A daemon restart within the same boot then does not run it again; a new boot id does.
/// </summary>
/// <remarks>
/// The table is created here with <c>CREATE TABLE IF NOT EXISTS</c> rather than by a numbered migration: it is
/// self-contained (no other table refers to it), and migration numbers are being claimed by parallel work. Folding
/// it into <see cref="Migrations"/> later is harmless, as the statement is idempotent.
/// </remarks>
public sealed class RebootStore
{
    private const string CreateSql = """
        CREATE TABLE IF NOT EXISTS reboot_triggers (
            script_name   TEXT NOT NULL,
            instance_name TEXT NOT NULL,
            boot_id       TEXT NOT NULL,
            PRIMARY KEY (script_name, instance_name)
        ) WITHOUT ROWID;
        """;

    private const string GetSql = "SELECT boot_id FROM reboot_triggers WHERE script_name = @script AND instance_name = @instance;";

    private const string SetSql = """
        INSERT INTO reboot_triggers (script_name, instance_name, boot_id) VALUES (@script, @instance, @bootId)
        ON CONFLICT (script_name, instance_name) DO UPDATE SET boot_id = excluded.boot_id;
        """;

    private const string ListSql = "SELECT script_name, instance_name FROM reboot_triggers;";

    private const string DeleteSql = "DELETE FROM reboot_triggers WHERE script_name = @script AND instance_name = @instance;";

    private readonly SqliteDatabase _db;
    private volatile bool _created;

    public RebootStore(SqliteDatabase db)
    {
        _db = db;
    }

    // Created on first use, not in the constructor: a store that cannot be written (disk full) then fails the
    // @reboot handling, which the caller reports, instead of the daemon's start-up.
    private void EnsureTable()
    {
        if (!_created)
        {
            _db.Write((c, t) => c.Execute(CreateSql, transaction: t), WriteKind.Essential);
            _created = true;
        }
    }

    /// <summary>The boot the instance's @reboot trigger was last handled in; null if never.</summary>
    public string? LastBoot(string script, string instance)
    {
        EnsureTable();
        using var connection = _db.OpenRead();
        return connection.QuerySingleOrDefault<string>(GetSql, new { script, instance });
    }

    public void SetLastBoot(string script, string instance, string bootId)
    {
        EnsureTable();
        _db.Write((c, t) => c.Execute(SetSql, new { script, instance, bootId }, t));
    }

    /// <summary>Forgets instances that no longer have an @reboot trigger, so the table stays as small as their number.</summary>
    public void Retain(IReadOnlySet<(string Script, string Instance)> keep)
    {
        EnsureTable();
        using var connection = _db.OpenRead();
        var stale = connection.Query<InstanceKeyRow>(ListSql)
            .Select(k => (k.ScriptName, k.InstanceName))
            .Where(k => !keep.Contains(k))
            .ToList();
        if (stale.Count > 0)
        {
            _db.Write((c, t) =>
            {
                foreach (var (script, instance) in stale)
                {
                    c.Execute(DeleteSql, new { script, instance }, t);
                }

                return stale.Count;
            });
        }
    }
}
