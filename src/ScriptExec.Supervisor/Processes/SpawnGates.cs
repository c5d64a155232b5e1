using System.Globalization;
using System.Runtime.InteropServices;
using static ScriptExec.Supervisor.Processes.NativeMethods;

namespace ScriptExec.Supervisor.Processes;

/// <summary>
/// Pairs of FIFOs that hold a spawned child before its exec (see <see cref="HeldSpawn"/>), kept in a private directory
/// and reused: a pair carries no data, so a spawn that has returned leaves it as it found it. Reuse keeps the
/// per-run cost at two opens, with no file created or removed on a device's flash (a mkfifo took 0.3 ms on ext4 here).
/// </summary>
public sealed class SpawnGates
{
    // A child spawned while a gate's FIFO is open in the daemon holds a copy of that descriptor until its closefrom;
    // a gate reused at once could be opened by such a stray copy and let its next child go early. So a returned pair
    // is reused once every spawn in flight when it came back has settled (SpawnsInFlight), or, where posix_spawn
    // forks and its return proves nothing, after a rest; when no pair is free yet, a new one is made.
    private static readonly long RestTicks = TimeProvider.System.TimestampFrequency;

    private readonly Queue<(Gate Gate, long FreeAt, SpawnsInFlight.Mark InFlight)> _free = new();
    private readonly Lock _freeLock = new();
    private int _created;

    private SpawnGates(string directory)
    {
        Directory = directory;
    }

    /// <summary>The private directory of the FIFOs.</summary>
    public string Directory { get; }

    /// <summary>
    /// The gates in <paramref name="directory"/> (made afresh, mode 0700), or null when this machine cannot hold a
    /// child this way: no FIFO can be made there, or the kernel has no <c>/proc/&lt;pid&gt;/task/&lt;tid&gt;/children</c>
    /// (CONFIG_PROC_CHILDREN). Runs then go through the exec steps instead; <paramref name="reason"/> says why.
    /// </summary>
    public static SpawnGates? Create(string directory, out string reason)
    {
        if (!File.Exists(ChildrenFile(Environment.ProcessId, GetTid())))
        {
            reason = "the kernel lists no children in /proc (CONFIG_PROC_CHILDREN)";
            return null;
        }

        try
        {
            // Left over from a daemon that was killed. A child it held then waits for a release that will never
            // come (removing the FIFO does not wake it), in no cgroup and without its script's environment: killed
            // here, before it could ever run anything.
            if (System.IO.Directory.Exists(directory))
            {
                KillOrphans(directory);
                System.IO.Directory.Delete(directory, recursive: true);
            }

            System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var gates = new SpawnGates(directory);
            gates.Return(gates.Take());
            reason = directory;
            return gates;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            reason = $"no FIFO can be made in {directory}: {e.Message}";
            return null;
        }
    }

    /// <summary>
    /// SIGKILLs every process still held at a gate in <paramref name="directory"/>: a held child keeps the arrival FIFO
    /// open as its descriptor 3 (see <see cref="PosixSpawn"/>). Returns how many it killed.
    /// </summary>
    internal static int KillOrphans(string directory)
    {
        var prefix = Path.GetFullPath(directory).TrimEnd('/') + "/";
        bool HeldHere(int pid) => HeldAt(pid) is { } target
            && target.StartsWith(prefix, StringComparison.Ordinal) && target.EndsWith(".arrived", StringComparison.Ordinal);

        // Checked again once the pid is pinned (a pidfd), so a reused pid is never killed.
        using var killer = new ProcessKiller();
        var killed = 0;
        foreach (var entry in System.IO.Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && pid != Environment.ProcessId && HeldHere(pid) && killer.TryKill(pid, HeldHere))
            {
                killed++;
            }
        }

        killer.WaitUntilGone(TimeSpan.FromSeconds(5));
        return killed;
    }

    /// <summary>True when <paramref name="pid"/> waits at the gate whose arrival FIFO is <paramref name="arrived"/>.</summary>
    internal static bool IsHeldAt(int pid, string arrived) => HeldAt(pid) == Path.GetFullPath(arrived);

    /// <summary>What a held child's descriptor 3 (the arrival FIFO it holds open) points at; null if unreadable.</summary>
    private static string? HeldAt(int pid)
    {
        try
        {
            return new FileInfo(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/fd/3")).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The children of thread <paramref name="tid"/> of process <paramref name="pid"/>, as the kernel lists them.</summary>
    internal static string ChildrenFile(int pid, int tid) =>
        string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/task/{tid}/children");

    internal static int GetTid() => NativeMethods.GetTid();

    /// <summary>A free pair, made when every pair is in use. Throws <see cref="IOException"/> when mkfifo fails.</summary>
    internal Gate Take()
    {
        lock (_freeLock)
        {
            // Pairs come back in order, so when the oldest may not be reused yet, no later one may either.
            if (_free.TryPeek(out var oldest)
                && (oldest.FreeAt <= TimeProvider.System.GetTimestamp()
                    || (!SpawnsInFlight.ForkSemantics && SpawnsInFlight.SettledSince(oldest.InFlight))))
            {
                return _free.Dequeue().Gate;
            }
        }

        var n = Interlocked.Increment(ref _created).ToString(CultureInfo.InvariantCulture);
        var gate = new Gate(Path.Combine(Directory, n + ".arrived"), Path.Combine(Directory, n + ".release"));
        MakeFifo(gate.Arrived);
        MakeFifo(gate.Release);
        return gate;
    }

    /// <summary>Hands a pair back once its spawn has returned (nothing holds it open any more).</summary>
    internal void Return(Gate gate)
    {
        lock (_freeLock)
        {
            _free.Enqueue((gate, TimeProvider.System.GetTimestamp() + RestTicks, SpawnsInFlight.Now()));
        }
    }

    private static void MakeFifo(string path)
    {
        if (MkFifo(path, 0x180 /* 0600 */) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != EEXIST)
            {
                throw new IOException($"mkfifo {path}: {ErrorText(errno)}", errno);
            }
        }
    }

    /// <summary>
    /// The child opens <see cref="Arrived"/> for writing (which waits for the daemon to open it for reading: it now
    /// exists), then <see cref="Release"/> for reading (which waits until the daemon opens it for writing).
    /// </summary>
    internal sealed record Gate(string Arrived, string Release);
}
