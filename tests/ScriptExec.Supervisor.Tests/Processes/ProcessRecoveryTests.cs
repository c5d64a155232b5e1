using System.Globalization;
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

    /// <summary>
    /// Exactly what a crashed daemon leaves behind: a session whose leader nobody waits on (a supervised leader's
    /// reaper would kill its group itself and race the scan), with a child: (leader, child).
    /// </summary>
    private static async Task<(int Leader, int Child)> StartOrphanedSession()
    {
        var start = new System.Diagnostics.ProcessStartInfo("setsid")
        {
            ArgumentList = { "--fork", "sh", "-c", "sleep 1000 >/dev/null 2>&1 &\necho $$ $!\nexec >/dev/null\nwait" },
            RedirectStandardOutput = true,
        };
        using var setsid = System.Diagnostics.Process.Start(start)!;
        var pids = (await setsid.StandardOutput.ReadLineAsync())!.Split(' ');
        return (int.Parse(pids[0], CultureInfo.InvariantCulture), int.Parse(pids[1], CultureInfo.InvariantCulture));
    }

    [Test]
    public async Task Kills_every_process_of_a_live_session()
    {
        var (leader, child) = await StartOrphanedSession();
        try
        {
            var killed = ProcessRecovery.KillSession(leader, ProcessRecovery.ReadBootId(), ProcessRecovery.ReadProcStartTime(leader));

            Assert.That(killed, Is.EqualTo(2));
            await ProcessWait.UntilDead(leader);
            await ProcessWait.UntilDead(child);
        }
        finally
        {
            NativeMethods.Kill(-leader, Signals.SIGKILL);
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
