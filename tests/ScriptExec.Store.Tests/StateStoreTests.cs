using Dapper;

namespace ScriptExec.Store.Tests;

public sealed class StateStoreTests : StoreFixture
{
    private StateStore State => new(Db);

    [Test]
    public void A_new_store_has_no_state_tree()
    {
        Assert.That(State.Load(), Is.Null);
    }

    [Test]
    public void Save_replaces_the_one_document()
    {
        State.Save("""{"a":1}""");
        State.Save("""{"b":2}""");

        Assert.Multiple(() =>
        {
            Assert.That(State.Load(), Is.EqualTo("""{"b":2}"""));
            Assert.That(Scalar("SELECT COUNT(*) FROM state_tree;"), Is.EqualTo(1));
        });
    }

    [Test]
    public void Quarantine_keeps_the_original_aside_and_stores_the_loadable_part_in_its_place()
    {
        State.Save("""{"broken":""");

        var first = State.Quarantine("""{"broken":""", """{}""", "not JSON", timestamp: 1_700_000_000);
        var second = State.Quarantine("""{"again":""", """{"x":1}""", "still not JSON", timestamp: 1_700_000_001);

        using var connection = Db.OpenRead();
        var kept = connection.Query<(long Id, string SourceTable, string RowKey, string Reason, string Content, long QuarantinedTimestamp)>(
            "SELECT id, source_table, row_key, reason, content, quarantined_timestamp FROM quarantined_rows ORDER BY id;").ToList();
        Assert.Multiple(() =>
        {
            Assert.That(State.Load(), Is.EqualTo("""{"x":1}"""));
            Assert.That(second, Is.GreaterThan(first));
            Assert.That(kept, Is.EqualTo(new[]
            {
                (first, "state_tree", "1", "not JSON", """{"broken":""", 1_700_000_000L),
                (second, "state_tree", "1", "still not JSON", """{"again":""", 1_700_000_001L),
            }));
        });
    }

    private long Scalar(string sql)
    {
        using var connection = Db.OpenRead();
        return connection.ExecuteScalar<long>(sql);
    }
}
