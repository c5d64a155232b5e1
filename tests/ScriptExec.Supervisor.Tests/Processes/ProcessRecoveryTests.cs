using ScriptExec.Supervisor.Processes;

namespace ScriptExec.Supervisor.Tests.Processes;

public class ProcessRecoveryTests
{
    private ScriptDirectory _scripts = null!;

    [SetUp]
    public void SetUp() => _scripts = new ScriptDirectory();

    [TearDown]
    public void TearDown() => _scripts.Dispose();

    /// <summary>A script with a grandchild, as a crashed daemon would have left it: (process, grandchild pid).</summary>
    private async Task<(SpawnedProcess Process, int Grandchild)> StartTree()
    {
        var sink = new RecordingSink();
        var process = _scripts.Run("sleep 1000 &\necho $!\nwait", sink);
        return (process, await ProcessWait.FirstPid(sink));
    }

    [Test]
    public void The_boot_id_is_a_trimmed_uuid()
    {
        Assert.That(Guid.TryParse(ProcessRecovery.ReadBootId(), out _), Is.True);
    }

    [Test]
    public void The_start_time_of_a_missing_process_is_0()
    {
        Assert.That(ProcessRecovery.ReadProcStartTime(int.MaxValue), Is.EqualTo(0));
        Assert.That(ProcessRecovery.ReadProcStartTime(Environment.ProcessId), Is.GreaterThan(0));
    }

    [Test]
    public async Task Kills_every_process_of_a_live_session()
    {
        var (process, grandchild) = await StartTree();
        using (process)
        {
            var killed = ProcessRecovery.KillSession(process.Pid, ProcessRecovery.ReadBootId(), process.ProcStartTime);
            var outcome = await ProcessWait.Outcome(process);

            Assert.That(killed, Is.EqualTo(2));
            Assert.That(outcome.ExitCode, Is.EqualTo(-9));
            await ProcessWait.UntilDead(grandchild);
        }
    }

    [Test]
    public async Task Refuses_when_the_leader_has_another_start_time()
    {
        var (process, grandchild) = await StartTree();
        using (process)
        {
            var killed = ProcessRecovery.KillSession(process.Pid, ProcessRecovery.ReadBootId(), process.ProcStartTime + 1);

            Assert.That(killed, Is.EqualTo(0));
            Assert.That(ProcessWait.IsDead(process.Pid) || ProcessWait.IsDead(grandchild), Is.False);
        }
    }

    [TestCase("00000000-0000-0000-0000-000000000000")]
    [TestCase(null)]
    public async Task Refuses_when_the_boot_id_is_not_the_current_one(string? bootId)
    {
        var (process, grandchild) = await StartTree();
        using (process)
        {
            var killed = ProcessRecovery.KillSession(process.Pid, bootId, process.ProcStartTime);

            Assert.That(killed, Is.EqualTo(0));
            Assert.That(ProcessWait.IsDead(process.Pid) || ProcessWait.IsDead(grandchild), Is.False);
        }
    }
}
