using ScriptExec.Supervisor.Processes;

namespace ScriptExec.Supervisor.Tests.Processes;

public class ProcStatTests
{
    [Test]
    public void Parses_state_session_and_start_time_past_a_command_name_with_spaces_and_parentheses()
    {
        const string line = "1234 (we ird) (x) S 1 1234 1200 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 200 18446744073709551615\n";

        Assert.That(ProcStat.TryParse(line, out var stat), Is.True);
        Assert.That(stat, Is.EqualTo(new ProcStat('S', 1200, 987654)));
    }

    [Test]
    public void Rejects_a_truncated_line()
    {
        Assert.That(ProcStat.TryParse("1234 (sh) S 1 2", out _), Is.False);
    }

    [Test]
    public void Reads_the_current_process()
    {
        Assert.That(ProcStat.TryRead(Environment.ProcessId, out var stat), Is.True);
        Assert.That(stat.StartTime, Is.GreaterThan(0));
    }
}
