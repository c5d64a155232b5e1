using ScriptExec.Core;
using ScriptExec.Supervisor.Processes;

namespace ScriptExec.Supervisor.Tests.Processes;

/// <summary>A child held before its exec gets its rlimits, niceness and cgroup from the daemon, without exec steps.</summary>
public class HeldSpawnTests : HeldSpawnFixture
{
    private ChildSetup Setup(params (LimitKind Kind, int Value)[] limits) =>
        new([], ResourceLimits.Of(limits.ToDictionary(l => l.Kind, l => (int?)l.Value)), Gates);

    [Test]
    public void The_start_up_probe_finds_the_hold_usable_on_a_native_kernel_and_returns_its_gate()
    {
        // Natively the hold must work, and the probe's gate be usable again. (Under qemu-user, where posix_spawn
        // forks and returns before the exec, the arm64 smoke test runs the same path: the child is found by its pid.)
        Assert.That(HeldSpawn.Probe(Gates), Is.Null);
        Assert.That(HeldSpawn.Probe(Gates), Is.Null);
    }

    [Test]
    public async Task The_script_runs_with_its_rlimits_soft_and_hard_and_the_cpu_grace()
    {
        var spec = Scripts.Spec("/bin/cat", ["/proc/self/limits"]) with
        {
            Setup = Setup((LimitKind.FileSizeMb, 3), (LimitKind.OpenFiles, 77), (LimitKind.CpuSeconds, 20)),
        };

        var sink = await ProcessWait.Succeeded(spec);

        Assert.That(sink.Stdout, Has.Some.Matches(@"^Max file size\s+3145728\s+3145728\s+bytes"));
        Assert.That(sink.Stdout, Has.Some.Matches(@"^Max open files\s+77\s+77\s+files"));
        Assert.That(sink.Stdout, Has.Some.Matches($@"^Max cpu time\s+20\s+{20 + LimitsWrapper.CpuHardGraceSeconds}\s+seconds"));
    }

    [Test]
    public async Task The_script_runs_with_its_niceness_as_its_own_pid_and_no_exec_step_in_between()
    {
        // $$ is the spawned pid: no wrapper process stands between the spawn and the script.
        var script = Scripts.WriteScript("echo \"$$\"; cut -d' ' -f19 /proc/$$/stat");
        var spec = Scripts.Spec(script) with { Setup = Setup((LimitKind.Nice, 7)) };
        var sink = new RecordingSink();
        using var process = ProcessLauncher.Start(spec, sink);
        await ProcessWait.Outcome(process);

        Assert.That(sink.Stdout, Is.EqualTo(new[] { process.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "7" }));
    }

    [Test]
    public void A_missing_executable_fails_as_without_the_hold_and_every_gate_is_usable_again()
    {
        for (var i = 0; i < 3; i++)
        {
            var spec = Scripts.Spec("/nonexistent/x") with { Setup = Setup((LimitKind.FileSizeMb, 1)) };

            Assert.That(
                () => ProcessLauncher.Start(spec, new RecordingSink()),
                Throws.TypeOf<ProcessStartException>().With.Message.EqualTo("exec /nonexistent/x: No such file or directory"));
        }

        Assert.That(Directory.GetFiles(Gates.Directory), Has.Length.InRange(2, 8), "a pair per spawn at most, and the one made at start (a returned pair rests before it is reused)");
    }

    [Test]
    public async Task A_cgroup_that_cannot_be_joined_is_said_on_stderr_and_the_script_still_runs()
    {
        var procs = Path.Combine(Scripts.FullPath, "no-such-cgroup", "cgroup.procs");
        var spec = Scripts.Spec("/bin/echo", ["ran"]) with { Setup = Setup() with { CgroupProcsFiles = [procs] } };

        var sink = await ProcessWait.Succeeded(spec);

        Assert.That(sink.Stdout, Is.EqualTo(new[] { "ran" }));
        Assert.That(sink.Stderr, Has.Some.Contains("could not join cgroup").And.Contains("no-such-cgroup"));
    }

    [Test]
    public void A_returned_gate_is_reused_at_once_unless_a_spawn_in_flight_when_it_came_back_could_hold_a_copy_of_it()
    {
        Assume.That(SpawnsInFlight.ForkSemantics, Is.False, "where posix_spawn forks, a returned gate rests instead");
        var gate = Gates.Take();
        Gates.Return(gate);
        Assert.That(Gates.Take(), Is.EqualTo(gate), "nothing in flight: the same pair at once");

        var inFlight = SpawnsInFlight.Begin();
        Gates.Return(gate);
        var other = Gates.Take();
        Assert.That(other, Is.Not.EqualTo(gate), "a child between its clone and its closefrom may hold a copy: a new pair");

        inFlight.Settle();
        Assert.That(Gates.Take(), Is.EqualTo(gate), "that spawn has settled: the pair is reused");
        Gates.Return(other);
    }

    [Test]
    public async Task A_parked_spawn_thread_is_reused_and_finds_its_new_child_among_the_earlier_ones_that_still_run()
    {
        // The first child still runs, so it is still listed under the thread that spawned it when the second is held.
        using var first = ProcessLauncher.Start(Scripts.Spec("/bin/sleep", ["60"]) with { Setup = Setup() }, new RecordingSink());
        try
        {
            var threads = SpawnerThreads.Started;
            var script = Scripts.WriteScript("echo \"$$\"; cut -d' ' -f19 /proc/$$/stat");
            var sink = new RecordingSink();
            using var second = ProcessLauncher.Start(Scripts.Spec(script) with { Setup = Setup((LimitKind.Nice, 3)) }, sink);
            await ProcessWait.Outcome(second);

            Assert.That(SpawnerThreads.Started, Is.EqualTo(threads), "the second spawn ran on the first one's parked thread");
            Assert.That(sink.Stdout, Is.EqualTo(new[] { second.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "3" }),
                "the new child, not the earlier one, was found, confined and released");
            Assert.That(first.HasExited, Is.False, "the earlier child was left alone");
        }
        finally
        {
            first.SignalGroup(Signals.SIGKILL);
            await ProcessWait.Outcome(first);
        }
    }

    [Test]
    public async Task A_child_held_when_the_daemon_died_is_killed_by_the_next_start_before_it_runs_anything()
    {
        var marker = Path.Combine(Scripts.FullPath, "ran");
        var script = Scripts.WriteScript($"touch '{marker}'");
        var gate = Gates.Take();

        // What a daemon killed during the hold leaves: a child that arrived and waits for its release.
        var spawned = Task.Factory.StartNew(
            () => PosixSpawnForTest.Spawn(Scripts.Spec(script), gate), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        using (File.OpenRead(gate.Arrived))
        {
            // Returns once the child has opened the arrival FIFO: it is held now.
        }

        var gatesAgain = SpawnGates.Create(Gates.Directory, out var reason);

        Assert.That(gatesAgain, Is.Not.Null, reason);
        var pid = await spawned.WaitAsync(TimeSpan.FromSeconds(30));
        var (code, _) = PosixSpawnForTest.Reap(pid);
        Assert.That(code, Is.EqualTo(PosixSpawnForTest.Killed), "the held child was killed");
        Assert.That(File.Exists(marker), Is.False, "the script never ran");
    }
}

/// <summary>The held spawn's first half alone: posix_spawn at a gate, with nobody to release it.</summary>
internal static class PosixSpawnForTest
{
    public const int Killed = 2;

    public static int Spawn(ProcessStartSpec spec, SpawnGates.Gate gate) => PosixSpawn.Spawn(spec, -1, 1, 2, gate);

    public static (int Code, int Status) Reap(int pid)
    {
        var error = NativeMethods.WaitExited(pid, keepZombie: false, out var code, out var status);
        Assert.That(error, Is.Zero);
        return (code, status);
    }
}
