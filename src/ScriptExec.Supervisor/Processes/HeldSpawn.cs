using System.Globalization;
using System.Runtime.InteropServices;
using ScriptExec.Core;
using static ScriptExec.Supervisor.Processes.NativeMethods;

namespace ScriptExec.Supervisor.Processes;

/// <summary>
/// What is done to a child between its spawn and its exec: the cgroups it joins and the rlimits and niceness it gets.
/// Everything here outlives exec, so the script's first instruction already runs confined.
/// </summary>
public sealed record ChildSetup(IReadOnlyList<string> CgroupProcsFiles, ResourceLimits Limits, SpawnGates Gates)
{
    /// <summary>The start-up probe's <c>/bin/true</c> (<see cref="HeldSpawn.Probe"/>), not a run.</summary>
    public bool IsProbe { get; init; }

    /// <summary><paramref name="spec"/> also joining the cgroup whose <c>cgroup.procs</c> is <paramref name="procsFile"/>.</summary>
    public static ProcessStartSpec Join(ProcessStartSpec spec, SpawnGates gates, string procsFile) => spec with
    {
        Setup = spec.Setup is { } setup
            ? setup with { CgroupProcsFiles = [.. setup.CgroupProcsFiles, procsFile] }
            : new ChildSetup([procsFile], ResourceLimits.Unlimited, gates),
    };
}

/// <summary>
/// posix_spawn with the child held before its exec, so the daemon can do to it what posix_spawn cannot: move it into
/// cgroups, set its rlimits (prlimit(2)) and niceness (setpriority(2)). This replaces exec steps (a shell joining the
/// cgroup, prlimit, nice), each of which cost a whole exec per run; a fork in .NET is out of the question.
/// </summary>
/// <remarks>
/// The hold is the last two file actions, run by the child just before its exec: it opens a FIFO for writing, which waits
/// until the daemon opens it for reading (so the daemon knows the child exists), then a second FIFO for reading, which
/// waits until the daemon opens it for writing (the release). posix_spawn runs on a thread of its own
/// (<see cref="SpawnerThreads"/>), whose newest child is then the held one (<c>/proc/self/task/&lt;tid&gt;/children</c>):
/// its pid is known before posix_spawn returns it. A step that fails kills the held child (SIGKILL, before it ran anything of the script), except joining
/// a cgroup, which, as in the shell step it replaces, lets the run go on unconfined with a line on its stderr.
/// </remarks>
internal static class HeldSpawn
{
    /// <summary>
    /// Null when a held spawn works on this machine; else why not (no FIFO can be opened, /proc hides the children),
    /// and then the exec steps do what the hold would. Spawns <c>/bin/true</c> held once.
    /// </summary>
    public static string? Probe(SpawnGates gates)
    {
        var spec = new ProcessStartSpec("/bin/true", [], new Dictionary<string, string>(), "/", new OutputCaptureOptions())
        {
            Setup = new ChildSetup([], ResourceLimits.Unlimited, gates) { IsProbe = true },
        };
        try
        {
            using var process = ProcessLauncher.Start(spec, DiscardingSink.Instance);
            return process.Completion.Wait(TimeSpan.FromSeconds(10)) ? null : "the probe spawned with a hold did not end within 10 s";
        }
        catch (ProcessStartException e)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// Spawns the child and holds it before its exec with its cgroups, rlimits and niceness applied; the caller then
    /// records it and lets it go (<see cref="HeldChild.Release"/>) or kills it (<see cref="HeldChild.Abandon"/>).
    /// Throws <see cref="ProcessStartException"/> when it cannot be spawned or held (nothing of the script ran).
    /// </summary>
    public static HeldChild Begin(ProcessStartSpec spec, ChildSetup setup, int stdinFd, int stdoutFd, int stderrFd, IOutputSink sink)
    {
        var gate = setup.Gates.Take();
        var spawner = new Spawner(spec, gate, stdinFd, stdoutFd, stderrFd);
        try
        {
            SpawnerThreads.Run(spawner);
        }
        catch (OutOfMemoryException)
        {
            spawner.InFlight.Settle();
            setup.Gates.Return(gate);
            throw new ProcessStartException("no thread could be started to spawn the process on (the system refused one)");
        }

        // Returns when the child has arrived, or when the spawner opened it itself because posix_spawn has returned.
        var arrived = OpenRetrying(gate.Arrived, O_RDONLY | O_CLOEXEC);
        var held = new HeldChild(setup.Gates, gate, spawner, arrived);
        string? problem = null;
        if (spawner.Failure is null)
        {
            var pid = Arrived(spawner, gate);
            if (pid <= 0)
            {
                // Never seen at its gate: nothing could be applied (a failed posix_spawn is thrown below as it is).
                problem = !spawner.Returned ? "the spawned process could not be found at its gate to confine it"
                    : spawner.Failure is null ? "the spawned process ended before it reached its gate" : null;
            }
            else
            {
                // At its gate: past its closefrom, it holds no copy of any other gate's FIFOs.
                spawner.InFlight.Settle();
                held.Pid = pid;
                problem = Apply(pid, setup, spec.Output.Time, sink);
            }
        }

        if (spawner.Failure is not null || problem is not null)
        {
            // Never ran anything of the script (or, when it could not be found, is stopped at once).
            held.Abandon();
            throw spawner.Failure ?? new ProcessStartException(problem!);
        }

        // The crash point is a run's; the start-up probe is none (the daemon would die before it is ready).
        if (!setup.IsProbe)
        {
            CrashSwitch.Reached(CrashPoint.SpawnHeld);
        }

        return held;
    }

    /// <summary>Null when done; else why the run cannot go on (the caller kills the child).</summary>
    private static unsafe string? Apply(int pid, ChildSetup setup, TimeProvider time, IOutputSink sink)
    {
        var pidText = pid.ToString(CultureInfo.InvariantCulture);
        foreach (var procs in setup.CgroupProcsFiles)
        {
            if (KernelFiles.TryWriteText(procs, pidText) != 0)
            {
                sink.OnLine(
                    OutputStream.Stderr,
                    $"scriptexecd: could not join cgroup {Path.GetDirectoryName(procs)}; running unconfined",
                    time.GetUtcNow().ToUnixTimeMilliseconds());
            }
        }

        var limit = stackalloc long[2];
        foreach (var (resource, option, soft, hard) in LimitsWrapper.Rlimits(setup.Limits))
        {
            limit[0] = soft;
            limit[1] = hard;
            if (Prlimit(pid, resource, limit, null) != 0)
            {
                return $"prlimit --{option}: {ErrorText(Marshal.GetLastPInvokeError())}";
            }
        }

        // The child is single-threaded until its exec, so its pid names the one thread whose niceness it keeps.
        if (setup.Limits.Nice is { } nice && SetPriority(PRIO_PROCESS, (uint)pid, nice) != 0)
        {
            return $"setpriority {nice}: {ErrorText(Marshal.GetLastPInvokeError())}";
        }

        return null;
    }

    /// <summary>
    /// The held child, once it is at <paramref name="gate"/>: the open of the arrival FIFO returns for any writer,
    /// and a child spawned elsewhere at that moment holds copies of the daemon's descriptors (a spawner's own writer
    /// of this FIFO among them) until its closefrom. The child is there when its descriptor 3 is the FIFO, which also
    /// means it is past its dup2s. With vfork semantics posix_spawn cannot return before the child's exec, so the
    /// child is listed under the spawner thread, the newest of that thread's children (earlier spawns on the same
    /// thread that still run are listed too); under an emulator that forks instead (qemu-user), posix_spawn returns
    /// at once with the pid, and the child is found by it on its way to the gate.
    /// 0 when posix_spawn failed, or the child ended or never showed within 10 s.
    /// </summary>
    private static int Arrived(Spawner spawner, SpawnGates.Gate gate)
    {
        var deadline = Environment.TickCount64 + 10_000;
        var spin = default(SpinWait);
        while (Environment.TickCount64 < deadline)
        {
            if (!spawner.Returned)
            {
                if (HeldChildOf(spawner.Tid, gate) is > 0 and var listed)
                {
                    return listed;
                }
            }
            else
            {
                var pid = spawner.Pid;
                if (pid > 0 && SpawnGates.IsHeldAt(pid, gate.Arrived))
                {
                    return pid;
                }

                if (pid <= 0 || !ProcStat.TryRead(pid, out var stat) || stat.IsZombie)
                {
                    return 0;
                }

                // Alive, not at its gate, and posix_spawn has returned: it cannot have exec'd before its release, so
                // posix_spawn forks here and its returns say nothing of a child's closefrom.
                if (spawner.Failure is null)
                {
                    SpawnsInFlight.SawForkSemantics();
                }
            }

            spin.SpinOnce(sleep1Threshold: 20);
        }

        return 0;
    }

    /// <summary>
    /// The child of thread <paramref name="spawnerTid"/> held at <paramref name="gate"/>, or 0 when none is listed
    /// yet. The kernel lists a thread's children oldest first, so the newest is looked at first.
    /// </summary>
    private static int HeldChildOf(int spawnerTid, SpawnGates.Gate gate)
    {
        var listed = KernelFiles.TryReadText(SpawnGates.ChildrenFile(Environment.ProcessId, spawnerTid))?
            .Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        for (var i = listed.Length - 1; i >= 0; i--)
        {
            if (int.TryParse(listed[i], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && SpawnGates.IsHeldAt(pid, gate.Arrived))
            {
                return pid;
            }
        }

        return 0;
    }

    internal static int OpenRetrying(string path, int flags)
    {
        int fd;
        do
        {
            fd = Open(path, flags);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == EINTR);

        return fd;
    }

    internal static void CloseIfOpen(int fd)
    {
        if (fd >= 0)
        {
            Close(fd);
        }
    }

    internal sealed class Spawner(ProcessStartSpec spec, SpawnGates.Gate gate, int stdinFd, int stdoutFd, int stderrFd)
    {
        private readonly object _doneGate = new();
        private bool _done;
        private volatile bool _returned;
        private volatile int _tid;

        public bool Returned => _returned;

        public int Tid => _tid;

        public int Pid { get; private set; }

        public ProcessStartException? Failure { get; private set; }

        /// <summary>The spawner's own read-write end of the arrival FIFO, which releases the daemon's open in every case.</summary>
        public int ArrivedByUs { get; private set; } = -1;

        /// <summary>Settled when the child is at its gate, or when posix_spawn has returned (see <see cref="SpawnsInFlight"/>).</summary>
        public SpawnsInFlight.Ticket InFlight { get; } = SpawnsInFlight.Begin();

        public void Run()
        {
            _tid = GetTid();
            try
            {
                Pid = PosixSpawn.Spawn(spec, stdinFd, stdoutFd, stderrFd, gate);
            }
            catch (ProcessStartException e)
            {
                Failure = e;
            }
            finally
            {
                // Read-write never blocks on a FIFO and counts as a writer: the daemon's open returns even when the
                // child never got as far as the gate (a failed clone, or killed by someone else on its way).
                _returned = true;
                InFlight.Settle();
                ArrivedByUs = OpenRetrying(gate.Arrived, O_RDWR | O_NONBLOCK | O_CLOEXEC);
            }
        }

        /// <summary>Called by the thread that ran <see cref="Run"/> once it is done with this spawn.</summary>
        public void SignalDone()
        {
            lock (_doneGate)
            {
                _done = true;
                Monitor.PulseAll(_doneGate);
            }
        }

        /// <summary>Waits until <see cref="SignalDone"/>: posix_spawn has returned and its thread touches nothing of this spawn more.</summary>
        public void WaitDone()
        {
            lock (_doneGate)
            {
                while (!_done)
                {
                    Monitor.Wait(_doneGate);
                }
            }
        }
    }
}
