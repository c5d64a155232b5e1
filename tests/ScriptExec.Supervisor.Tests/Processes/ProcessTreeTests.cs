using ScriptExec.Supervisor.Processes;

namespace ScriptExec.Supervisor.Tests.Processes;

public class ProcessTreeTests
{
    private ScriptDirectory _scripts = null!;

    [SetUp]
    public void SetUp() => _scripts = new ScriptDirectory();

    [TearDown]
    public void TearDown() => _scripts.Dispose();

    [Test]
    public async Task SIGTERM_to_the_group_ends_the_grandchildren_too()
    {
        var sink = new RecordingSink();
        using var process = _scripts.Run("sleep 1000 &\necho $!\nwait", sink);
        var grandchild = await ProcessWait.FirstPid(sink);
        Assert.That(ProcessWait.IsDead(grandchild), Is.False);

        process.SignalGroup(Signals.SIGTERM);
        var outcome = await ProcessWait.Outcome(process);

        Assert.That(outcome.ExitCode, Is.EqualTo(-15));
        await ProcessWait.UntilDead(grandchild);
    }

    [Test]
    public async Task Leftovers_are_killed_when_the_main_process_exits_by_itself()
    {
        var sink = new RecordingSink();
        using var process = _scripts.Run("sleep 1000 &\necho $!\nexit 0", sink);

        var outcome = await ProcessWait.Outcome(process);
        var grandchild = await ProcessWait.FirstPid(sink);

        Assert.That(outcome.ExitCode, Is.EqualTo(0));
        await ProcessWait.UntilDead(grandchild);
    }

    [Test]
    public async Task A_process_that_escaped_into_its_own_session_does_not_hold_up_completion()
    {
        var sink = new RecordingSink();
        using var process = _scripts.Run("setsid sleep 1000 &\necho $!\nexit 0", sink);
        var escaped = await ProcessWait.FirstPid(sink);
        try
        {
            // It keeps our stdout socket open, so end of file never comes: completion must not wait for it.
            var outcome = await ProcessWait.Outcome(process);

            Assert.That(outcome.ExitCode, Is.EqualTo(0));
            Assert.That(sink.Stdout, Is.EqualTo(new[] { escaped.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
        }
        finally
        {
            NativeMethods.Kill(escaped, Signals.SIGKILL);
        }
    }
}
