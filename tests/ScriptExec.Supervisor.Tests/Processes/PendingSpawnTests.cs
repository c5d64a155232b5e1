using System.Globalization;
using ScriptExec.Core;
using ScriptExec.Supervisor.Processes;

namespace ScriptExec.Supervisor.Tests.Processes;

/// <summary>
/// A held spawn split in two, as a start uses it: the child waits before its exec while its start is recorded, then
/// runs or is killed. One thread watches every exit, and many children wait at their gates at once, so these also
/// check that the right child is found and the right outcome reaches each process.
/// </summary>
public class PendingSpawnTests : HeldSpawnFixture
{
    private ProcessStartSpec Held(string script) =>
        Scripts.Spec(script) with { Setup = new ChildSetup([], ResourceLimits.Unlimited, Gates) };

    [Test]
    public async Task A_held_child_runs_nothing_until_it_proceeds_and_is_the_pid_it_was_recorded_with()
    {
        var marker = Path.Combine(Scripts.FullPath, "ran");
        var sink = new RecordingSink();
        var pending = ProcessLauncher.Begin(Held(Scripts.WriteScript($"touch '{marker}'; echo \"$$\"")), sink);
        var ranWhileHeld = File.Exists(marker);
        var heldStartTime = pending.ProcStartTime;

        using var process = pending.Proceed();
        var outcome = await ProcessWait.Outcome(process);

        Assert.Multiple(() =>
        {
            Assert.That(pending.IsHeld, Is.True);
            Assert.That(ranWhileHeld, Is.False, "the script ran before its release");
            Assert.That(outcome.ExitCode, Is.Zero);
            Assert.That(sink.Stdout, Is.EqualTo(new[] { pending.Pid.ToString(CultureInfo.InvariantCulture) }), "the script is the recorded pid");
            Assert.That(heldStartTime, Is.GreaterThan(0), "its start time is read while it is held (exec keeps it)");
            Assert.That(process.ProcStartTime, Is.EqualTo(heldStartTime));
        });
    }

    [Test]
    public void An_abandoned_child_is_killed_and_reaped_before_it_runs_anything()
    {
        var marker = Path.Combine(Scripts.FullPath, "ran");
        for (var i = 0; i < 3; i++)
        {
            var pending = ProcessLauncher.Begin(Held(Scripts.WriteScript($"touch '{marker}'")), new RecordingSink());
            pending.Abandon();

            Assert.That(ProcStat.TryRead(pending.Pid, out _), Is.False, $"process {pending.Pid} is gone and reaped");
        }

        Assert.Multiple(() =>
        {
            Assert.That(File.Exists(marker), Is.False, "no abandoned child ran its script");
            Assert.That(Directory.GetFiles(Gates.Directory), Has.Length.InRange(2, 8), "a pair per spawn at most, and the one made at start (a returned pair rests before it is reused)");
        });
    }

    [Test]
    public async Task Children_spawned_while_earlier_ones_still_run_are_each_found_and_each_gets_its_own_outcome()
    {
        // Many runs at once, each exit reported through the one watcher (pidfd numbers come back as runs end).
        var started = new List<(SpawnedProcess Process, RecordingSink Sink, int Code)>();
        var release = Path.Combine(Scripts.FullPath, "release");
        for (var i = 0; i < 24; i++)
        {
            var code = i + 1;
            var sink = new RecordingSink();
            var script = Scripts.WriteScript($"echo \"$$\"; while [ ! -e '{release}' ]; do sleep 0.05; done; exit {code}", $"run-{i}.sh");
            started.Add((ProcessLauncher.Start(Held(script), sink), sink, code));
        }

        foreach (var (_, sink, _) in started)
        {
            await ProcessWait.Until(() => sink.Stdout.Count > 0, "every script to print its pid");
        }

        await File.WriteAllTextAsync(release, string.Empty);
        var outcomes = await Task.WhenAll(started.Select(s => ProcessWait.Outcome(s.Process)));

        Assert.Multiple(() =>
        {
            for (var i = 0; i < started.Count; i++)
            {
                var (process, sink, code) = started[i];
                Assert.That(sink.Stdout[0], Is.EqualTo(process.Pid.ToString(CultureInfo.InvariantCulture)), $"run {i} is the process found for it");
                Assert.That(outcomes[i].ExitCode, Is.EqualTo(code), $"run {i} got its own exit code");
            }
        });
        started.ForEach(s => s.Process.Dispose());
    }
}
