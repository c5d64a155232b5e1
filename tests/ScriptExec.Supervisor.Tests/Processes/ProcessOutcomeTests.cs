using ScriptExec.Supervisor.Processes;

namespace ScriptExec.Supervisor.Tests.Processes;

public class ProcessOutcomeTests
{
    private ScriptDirectory _scripts = null!;
    private readonly List<SpawnedProcess> _started = [];

    [SetUp]
    public void SetUp() => _scripts = new ScriptDirectory();

    [TearDown]
    public void TearDown()
    {
        _started.ForEach(process => process.Dispose());
        _started.Clear();
        _scripts.Dispose();
    }

    private SpawnedProcess Run(string body, RecordingSink? sink = null)
    {
        var process = _scripts.Run(body, sink ?? new RecordingSink());
        _started.Add(process);
        return process;
    }

    [TestCase(0)]
    [TestCase(3)]
    [TestCase(255)]
    public async Task An_exit_status_is_reported_as_it_is(int status)
    {
        var outcome = await ProcessWait.Outcome(Run($"exit {status}"));

        Assert.That(outcome.Signaled, Is.False);
        Assert.That(outcome.ExitCode, Is.EqualTo(status));
    }

    [Test]
    public async Task Exit_143_is_not_a_death_by_SIGTERM()
    {
        var outcome = await ProcessWait.Outcome(Run("exit 143"));

        Assert.That(outcome, Is.EqualTo(outcome with { Signaled = false, Status = 143 }));
        Assert.That(outcome.ExitCode, Is.EqualTo(143));
    }

    [TestCase(Signals.SIGTERM, -15)]
    [TestCase(Signals.SIGKILL, -9)]
    public async Task A_signal_to_the_group_is_reported_as_a_negative_exit_code(int signal, int exitCode)
    {
        var process = Run("sleep 1000");

        Assert.That(process.SignalGroup(signal), Is.True);
        var outcome = await ProcessWait.Outcome(process);

        Assert.That(outcome.Signaled, Is.True);
        Assert.That(outcome.Status, Is.EqualTo(signal));
        Assert.That(outcome.ExitCode, Is.EqualTo(exitCode));
    }

    [Test]
    public async Task A_script_that_traps_TERM_and_exits_0_finished_normally()
    {
        var sink = new RecordingSink();
        var process = Run("trap 'exit 0' TERM\necho ready\nsleep 1000 &\nwait", sink);
        await ProcessWait.Until(() => sink.Stdout.Contains("ready"), "the trap to be set");

        process.SignalGroup(Signals.SIGTERM);
        var outcome = await ProcessWait.Outcome(process);

        Assert.That(outcome.Signaled, Is.False);
        Assert.That(outcome.ExitCode, Is.EqualTo(0));
    }

    [Test]
    public async Task A_script_that_ignores_TERM_still_dies_of_SIGKILL()
    {
        var sink = new RecordingSink();
        var process = Run("trap '' TERM\necho ready\nsleep 1000", sink);
        await ProcessWait.Until(() => sink.Stdout.Contains("ready"), "the trap to be set");

        process.SignalGroup(Signals.SIGTERM);
        process.SignalGroup(Signals.SIGKILL);
        var outcome = await ProcessWait.Outcome(process);

        Assert.That(outcome.ExitCode, Is.EqualTo(-9));
    }

    [Test]
    public async Task After_the_reap_signals_are_refused_and_HasExited_is_true()
    {
        var process = Run("exit 0");
        await ProcessWait.Outcome(process);

        Assert.That(process.HasExited, Is.True);
        Assert.That(process.SignalGroup(Signals.SIGKILL), Is.False);
    }

    [Test]
    public async Task The_child_leads_its_own_session_and_its_start_time_is_recorded()
    {
        var sink = new RecordingSink();
        var process = Run("echo ready\nsleep 1000", sink);
        await ProcessWait.Until(() => sink.Stdout.Contains("ready"), "the script to start");

        Assert.That(process.HasExited, Is.False);
        Assert.That(ProcStat.TryRead(process.Pid, out var stat), Is.True);
        Assert.That(stat.SessionId, Is.EqualTo(process.Pid));
        Assert.That(process.ProcStartTime, Is.GreaterThan(0));
        Assert.That(process.ProcStartTime, Is.EqualTo(ProcessRecovery.ReadProcStartTime(process.Pid)));

        process.SignalGroup(Signals.SIGKILL);
        await ProcessWait.Outcome(process);
    }

    [Test]
    public async Task Dispose_kills_a_process_still_running()
    {
        var process = Run("sleep 1000");

        process.Dispose();
        var outcome = await ProcessWait.Outcome(process);

        Assert.That(outcome.ExitCode, Is.EqualTo(-9));
    }
}
