namespace ScriptExec.Core.Tests;

public sealed class TriggerWireTests
{
    [TestCase("scheduler")]
    [TestCase("schedule")]
    public void Scheduler_and_its_alias_parse_to_the_cron_trigger(string name)
    {
        Assert.Multiple(() =>
        {
            Assert.That(TriggerTypes.TryParse(name, out var type), Is.True);
            Assert.That(type, Is.EqualTo(TriggerType.Schedule));
        });
    }

    [Test]
    public void The_cron_trigger_is_reported_as_scheduler_and_stored_as_schedule()
    {
        Assert.Multiple(() =>
        {
            Assert.That(TriggerType.Schedule.ToWire(), Is.EqualTo("scheduler"));
            Assert.That(TriggerType.Schedule.ToStored(), Is.EqualTo("schedule"));
            Assert.That(TriggerType.System.ToStored(), Is.EqualTo("system"));
        });
    }

    [Test]
    public void A_system_trigger_has_a_reason_and_no_configured_setting()
    {
        var stop = Trigger.System(Trigger.CpuLimitCause);
        var xpath = new Trigger(TriggerType.Xpath, "/a");

        Assert.Multiple(() =>
        {
            Assert.That(stop.Reason, Is.EqualTo("cpu_limit"));
            Assert.That(stop.ConfiguredSetting, Is.Null);
            Assert.That(xpath.Reason, Is.Null);
            Assert.That(xpath.ConfiguredSetting, Is.EqualTo("/a"));
        });
    }
}
