using ScriptExec.Core;

namespace ScriptExec.Store.Tests;

/// <summary>Ids taken before their start record: increasing, never reused, committed in id order.</summary>
public sealed class StartSequenceTests : StoreFixture
{
    private static NewExecution Record(string instance) => new("s", instance, "v1", 1_700_000_000, Trigger.Manual("root"), null);

    [Test]
    public async Task A_record_commits_only_after_every_earlier_ticket_settled()
    {
        var first = Executions.Starts.Take();
        var second = Executions.Starts.Take();
        var secondInsert = Executions.InsertStartedAsync(second, Record("b"), new StartedProcess(202, 7, "boot"), CancellationToken.None);

        // The earlier ticket is still open (its process being spawned): the later record must wait for it.
        var waitedWhileOpen = !secondInsert.IsCompleted && Executions.Get(second.Id) is null;
        await Executions.InsertStartedAsync(first, Record("a"), new StartedProcess(101, 5, "boot"), CancellationToken.None);
        await secondInsert;

        var active = Executions.ListActive();
        Assert.Multiple(() =>
        {
            Assert.That(second.Id, Is.EqualTo(first.Id + 1));
            Assert.That(waitedWhileOpen, Is.True, "the later record was not held back");
            Assert.That(active.Select(e => (e.Id, e.Pid, e.ProcStartTime, e.BootId)), Is.EqualTo(new[]
            {
                (first.Id, (int?)101, (long?)5, "boot"),
                (second.Id, (int?)202, (long?)7, "boot"),
            }));
        });
    }

    [Test]
    public async Task A_ticket_given_up_leaves_its_id_unused_and_holds_nothing_back()
    {
        var abandoned = Executions.Starts.Take();
        var next = Executions.Starts.Take();
        abandoned.Dispose();
        await Executions.InsertStartedAsync(next, Record("b"), null, CancellationToken.None);
        var after = await Executions.InsertStartedAsync(Record("c"), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(Executions.Get(abandoned.Id), Is.Null);
            Assert.That(Executions.Get(next.Id)?.InstanceName, Is.EqualTo("b"));
            Assert.That(after, Is.EqualTo(next.Id + 1));
        });
    }

    [Test]
    public async Task Ids_go_on_after_the_highest_ever_handed_out_when_the_store_is_opened_again()
    {
        long last = 0;
        for (var i = 0; i < 3; i++)
        {
            last = await Executions.InsertStartedAsync(Record("a"), CancellationToken.None);
        }

        // The newest row pruned: AUTOINCREMENT's sequence still remembers its id.
        await ExecuteAsync("DELETE FROM executions WHERE id = $id;", ("$id", last));
        var reopened = new ExecutionStore(Db);
        var id = await reopened.InsertStartedAsync(Record("a"), CancellationToken.None);

        Assert.That(id, Is.EqualTo(last + 1));
    }
}
