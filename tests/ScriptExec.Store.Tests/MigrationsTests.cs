using System.Reflection;
using Dapper;
using Microsoft.Data.Sqlite;
using ScriptExec.Core;

namespace ScriptExec.Store.Tests;

public sealed class MigrationsTests
{
    private static readonly string[] ExpectedTables =
        ["executions", "instance_secrets", "instances", "output_chunks", "quarantined_rows", "scripts", "state_tree"];

    private string _dir = "";

    private string DatabasePath => Path.Combine(_dir, "scriptexec.db");

    /// <summary>Every version a store file can be at before the latest: 0 is a new, empty file.</summary>
    public static IEnumerable<int> OlderVersions => Enumerable.Range(0, Migrations.Latest);

    [SetUp]
    public void CreateDirectory() => _dir = Directory.CreateTempSubdirectory("scriptexec-migrations-").FullName;

    [TearDown]
    public void DeleteDirectory()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Test]
    public void A_new_store_gets_every_migration_and_records_the_latest_version()
    {
        using (new SqliteDatabase(new StoreOptions { DatabasePath = DatabasePath }))
        {
        }

        Assert.Multiple(() =>
        {
            Assert.That(UserVersion(DatabasePath), Is.EqualTo(Migrations.Latest));
            Assert.That(Schema(DatabasePath).Where(o => o.Type == "table").Select(o => o.Name), Is.EqualTo(ExpectedTables));
        });
    }

    [Test]
    public async Task Reopening_an_up_to_date_store_changes_neither_schema_nor_rows()
    {
        using (var db = new SqliteDatabase(new StoreOptions { DatabasePath = DatabasePath }))
        {
            await db.WriteAsync((c, t) => c.Execute(InsertScriptSql, null, t), CancellationToken.None);
        }

        var schemaBefore = Schema(DatabasePath);
        using (var db = new SqliteDatabase(new StoreOptions { DatabasePath = DatabasePath }))
        {
            // Applying again on the open writer's file must be a no-op too (every step would fail on its CREATE TABLE).
            using var connection = Open(DatabasePath);
            Migrations.Apply(connection);
        }

        Assert.Multiple(() =>
        {
            Assert.That(UserVersion(DatabasePath), Is.EqualTo(Migrations.Latest));
            Assert.That(Schema(DatabasePath), Is.EqualTo(schemaBefore));
            Assert.That(ScriptNames(DatabasePath), Is.EqualTo(new[] { "kept" }));
        });
    }

    [TestCaseSource(nameof(OlderVersions))]
    public void A_store_at_an_older_version_upgrades_to_the_schema_of_a_new_one_keeping_its_rows(int version)
    {
        using (var connection = Open(DatabasePath))
        {
            foreach (var step in Steps().Take(version))
            {
                connection.Execute(step);
            }

            connection.Execute($"PRAGMA user_version = {version};");
            if (version >= 1)
            {
                connection.Execute(InsertScriptSql);
            }
        }

        var freshPath = Path.Combine(_dir, "fresh.db");
        using (new SqliteDatabase(new StoreOptions { DatabasePath = freshPath }))
        {
        }

        using (new SqliteDatabase(new StoreOptions { DatabasePath = DatabasePath }))
        {
        }

        Assert.Multiple(() =>
        {
            Assert.That(UserVersion(DatabasePath), Is.EqualTo(Migrations.Latest));
            Assert.That(Schema(DatabasePath), Is.EqualTo(Schema(freshPath)));
            Assert.That(ScriptNames(DatabasePath), Is.EqualTo(version >= 1 ? new[] { "kept" } : Array.Empty<string>()));
        });
    }

    [Test]
    public async Task Upgrading_to_chunked_output_carries_over_every_stored_line()
    {
        // Output as version 7 stored it, a row per line: two executions, both streams, a gap (lines a full disk lost)
        // and more lines than one chunk holds.
        var expected = new List<(long Execution, OutputLine Line)>();
        using (var connection = Open(DatabasePath))
        {
            foreach (var step in Steps().Take(7))
            {
                connection.Execute(step);
            }

            connection.Execute("PRAGMA user_version = 7;");
            using var transaction = connection.BeginTransaction();
            var lineIds = Enumerable.Range(1, 2_500).Concat(Enumerable.Range(2_510, 5)).Select(i => (long)i);
            foreach (var (execution, id) in lineIds.Select(i => (3L, i)).Append((9L, 1L)).Append((9L, 2L)))
            {
                var line = new OutputLine(id, id == 2 ? "grüße 🚀" : $"{execution}:{id}", id % 3 == 0 ? OutputStreamKind.Stderr : OutputStreamKind.Stdout, 1_700_000_000_000 + id);
                connection.Execute(
                    "INSERT INTO output_lines (execution_id, line_id, stream, timestamp_ms, content) VALUES (@execution, @Id, @stream, @TimestampMs, @Content);",
                    new { execution, line.Id, stream = (int)line.Stream, line.TimestampMs, line.Content },
                    transaction);
                expected.Add((execution, line));
            }

            transaction.Commit();
        }

        using var db = new SqliteDatabase(new StoreOptions { DatabasePath = DatabasePath });
        await using var output = new OutputStore(db);
        var read = new List<(long, OutputLine)>();
        foreach (var execution in new long[] { 3, 9 })
        {
            for (long after = 0; ;)
            {
                var page = output.Read(execution, after, 1000);
                if (page.Count == 0)
                {
                    break;
                }

                read.AddRange(page.Select(l => (execution, l)));
                after = page[^1].Id;
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(UserVersion(DatabasePath), Is.EqualTo(Migrations.Latest));
            Assert.That(read, Is.EqualTo(expected));
            Assert.That(Schema(DatabasePath).Select(o => o.Name), Does.Not.Contain("output_lines"));
        });
    }

    [Test]
    public void A_store_from_a_newer_daemon_is_refused_and_its_version_left_as_it_was()
    {
        using (var connection = Open(DatabasePath))
        {
            connection.Execute($"PRAGMA user_version = {Migrations.Latest + 1};");
        }

        var refused = Assert.Throws<InvalidOperationException>(() => new SqliteDatabase(new StoreOptions { DatabasePath = DatabasePath }).Dispose());

        Assert.Multiple(() =>
        {
            Assert.That(refused!.Message, Does.Contain("newer"));
            Assert.That(UserVersion(DatabasePath), Is.EqualTo(Migrations.Latest + 1));
            Assert.That(Schema(DatabasePath), Is.Empty);
        });
    }

    [Test]
    public void A_migration_that_fails_part_way_is_rolled_back_whole_and_the_version_stays()
    {
        // output_lines is the last table migration 1 creates: with it already there, the step fails after the others.
        using (var connection = Open(DatabasePath))
        {
            connection.Execute("CREATE TABLE output_lines (x INTEGER);");
        }

        Assert.That(() => new SqliteDatabase(new StoreOptions { DatabasePath = DatabasePath }).Dispose(), Throws.InstanceOf<SqliteException>());

        Assert.Multiple(() =>
        {
            Assert.That(UserVersion(DatabasePath), Is.Zero);
            Assert.That(Schema(DatabasePath).Select(o => o.Name), Is.EqualTo(new[] { "output_lines" }));
        });
    }

    private const string InsertScriptSql =
        "INSERT INTO scripts (name, version, source, description, updated_timestamp) VALUES ('kept', 'v1', 'echo', NULL, 1);";

    /// <summary>
    /// The migration SQL itself: <see cref="Migrations"/> offers no way to apply only the first steps, and a copy of
    /// the SQL here would drift from what the daemon really ran at each version.
    /// </summary>
    private static string[] Steps() =>
        (string[])typeof(Migrations).GetField("Steps", BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;

    private static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static long UserVersion(string path)
    {
        using var connection = Open(path);
        return connection.ExecuteScalar<long>("PRAGMA user_version;");
    }

    private static string[] ScriptNames(string path)
    {
        using var connection = Open(path);
        return [.. connection.Query<string>("SELECT name FROM scripts ORDER BY name;")];
    }

    private static SchemaObject[] Schema(string path)
    {
        using var connection = Open(path);
        return [.. connection.Query<SchemaObject>(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name;")];
    }

    private sealed record SchemaObject(string Type, string Name, string? Sql);
}
