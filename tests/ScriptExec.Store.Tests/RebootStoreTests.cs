using Dapper;
using ScriptExec.Core;

namespace ScriptExec.Store.Tests;

/// <summary>The per-instance boot record of @reboot triggers, and cron trigger rows under both names.</summary>
public sealed class RebootStoreTests : StoreFixture
{
    private RebootStore Reboots => new(Db);

    [Test]
    public void An_instance_never_handled_has_no_boot_and_the_last_one_set_wins()
    {
        Assert.That(Reboots.LastBoot("s", "i"), Is.Null);

        Reboots.SetLastBoot("s", "i", "boot-a");
        Reboots.SetLastBoot("s", "i", "boot-b");
        Reboots.SetLastBoot("s", "other", "boot-a");

        Assert.Multiple(() =>
        {
            Assert.That(Reboots.LastBoot("s", "i"), Is.EqualTo("boot-b"));
            Assert.That(Reboots.LastBoot("s", "other"), Is.EqualTo("boot-a"));
        });
    }

    [Test]
    public void Retain_forgets_instances_that_no_longer_have_a_reboot_trigger()
    {
        Reboots.SetLastBoot("s", "keep", "boot-a");
        Reboots.SetLastBoot("s", "drop", "boot-a");
        Reboots.SetLastBoot("s/x", "y", "boot-a");

        Reboots.Retain(new HashSet<(string, string)> { ("s", "keep") });

        Assert.Multiple(() =>
        {
            Assert.That(Reboots.LastBoot("s", "keep"), Is.EqualTo("boot-a"));
            Assert.That(Reboots.LastBoot("s", "drop"), Is.Null);
            Assert.That(Reboots.LastBoot("s/x", "y"), Is.Null);
        });
    }

    [Test]
    public async Task Cron_starts_are_stored_as_schedule_and_rows_under_either_name_load_and_filter_as_scheduler()
    {
        var trigger = new Trigger(TriggerType.Schedule, "0 3 * * *");
        var stored = await StartAsync("s", "old", trigger: trigger);
        var renamed = await StartAsync("s", "new", trigger: trigger);
        using (var connection = Db.OpenRead())
        {
            Assert.That(connection.ExecuteScalar<string>("SELECT start_trigger_type FROM executions WHERE id = @stored;", new { stored }), Is.EqualTo("schedule"));
        }

        // A row some other writer stored under the wire name still loads.
        Db.Write((c, t) => c.Execute("UPDATE executions SET start_trigger_type = 'scheduler' WHERE id = @renamed;", new { renamed }, t));

        var found = Executions.Query(ExecutionFilter.All with { TriggerTypes = [TriggerType.Schedule] }, new Pagination(100));
        Assert.Multiple(() =>
        {
            Assert.That(Executions.Get(renamed)!.StartTrigger, Is.EqualTo(trigger));
            Assert.That(found.Select(e => e.Id), Does.Contain(stored));
        });
    }
}
