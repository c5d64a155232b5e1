namespace ScriptExec.Core.Tests;

public sealed class ExecutionFilterTests
{
    private static readonly Execution Finished = new()
    {
        Id = 1, ScriptName = "s", InstanceName = "a", ScriptVersion = "v", StartTimestamp = 100,
        StartTrigger = Trigger.Manual("alice"), State = ExecutionState.Finished, ExitCode = 0, DurationMs = 5,
    };

    [Test]
    public void Omitted_filters_match_everything_but_outdated() =>
        Assert.Multiple(() =>
        {
            Assert.That(ExecutionFilter.All.Matches(Finished), Is.True);
            Assert.That(ExecutionFilter.All.Matches(Finished with { IsOutdated = true }), Is.False);
            Assert.That((ExecutionFilter.All with { IncludeOutdated = true }).Matches(Finished with { IsOutdated = true }), Is.True);
        });

    [Test]
    public void Instance_names_apply_only_within_their_script() =>
        Assert.Multiple(() =>
        {
            Assert.That(new ExecutionFilter { Instances = [new("s", ["a"])] }.Matches(Finished), Is.True);
            Assert.That(new ExecutionFilter { Instances = [new("t", ["a"])] }.Matches(Finished), Is.False);
            Assert.That(new ExecutionFilter { Instances = [new("s")] }.Matches(Finished), Is.True);
            Assert.That(new ExecutionFilter { Instances = [new("s", [])] }.Matches(Finished), Is.False);
        });

    [Test]
    public void Exit_code_filter_never_matches_a_run_without_exit_code() =>
        Assert.That(new ExecutionFilter { ExitCodes = [0] }.Matches(Finished with { State = ExecutionState.Running, ExitCode = null }), Is.False);

    [Test]
    public void Time_window_is_half_open() =>
        Assert.Multiple(() =>
        {
            Assert.That(new ExecutionFilter { StartAfter = 100 }.Matches(Finished), Is.True);
            Assert.That(new ExecutionFilter { StartBefore = 100 }.Matches(Finished), Is.False);
            Assert.That(new ExecutionFilter { StartBefore = 101 }.Matches(Finished), Is.True);
        });

    [Test]
    public void Usernames_match_the_start_trigger_user() =>
        Assert.Multiple(() =>
        {
            Assert.That(new ExecutionFilter { Usernames = ["alice"] }.Matches(Finished), Is.True);
            Assert.That(new ExecutionFilter { Usernames = ["bob"] }.Matches(Finished), Is.False);
            Assert.That(new ExecutionFilter { Usernames = ["alice"] }.Matches(Finished with { StartTrigger = new Trigger(TriggerType.Xpath, "/x") }), Is.False);
        });
}
