namespace ScriptExec.Supervisor.Processes;

/// <summary>
/// The spawns whose child may still hold copies of the daemon's descriptors: a child gets a copy of every descriptor
/// open in the daemon at its clone, close-on-exec ones included, and keeps them until its closefrom. A spawn is in
/// flight from just before posix_spawn until its child is known to be past that point: at its gate (a held spawn), or
/// posix_spawn has returned (with vfork semantics it returns after the exec, or after a failed child was reaped).
/// <see cref="SpawnGates"/> reuses a gate pair once every spawn that was in flight when the pair was handed back has
/// settled: no stray copy of its FIFOs can then be left to let its next child go early.
/// </summary>
/// <remarks>
/// Under an emulator that forks instead (qemu-user), posix_spawn returns before the child's closefrom, so a return
/// says nothing; once that is seen (<see cref="ForkSemantics"/>), the gates fall back to a rest of a second.
/// </remarks>
internal static class SpawnsInFlight
{
    private static readonly Lock Gate = new();
    private static int _count;
    private static long _quiets;
    private static volatile bool _forkSemantics;

    /// <summary>True once posix_spawn was seen to return before its held child reached its gate.</summary>
    public static bool ForkSemantics => _forkSemantics;

    /// <summary>A spawn goes in flight; settle the ticket once its child is past its closefrom (or gone).</summary>
    public static Ticket Begin()
    {
        lock (Gate)
        {
            _count++;
        }

        return new Ticket();
    }

    /// <summary>Where things stand now, to be asked later whether every spawn in flight now has settled.</summary>
    public static Mark Now()
    {
        lock (Gate)
        {
            return new Mark(_count == 0, _quiets);
        }
    }

    /// <summary>True when no spawn that was in flight at <paramref name="mark"/> is in flight any more.</summary>
    public static bool SettledSince(Mark mark)
    {
        if (mark.Quiet)
        {
            return true;
        }

        lock (Gate)
        {
            // The count has been back to zero since: every spawn in flight at the mark has settled.
            return _count == 0 || _quiets > mark.Quiets;
        }
    }

    /// <summary>Notes that posix_spawn returned while its child had not yet reached its gate (it forks).</summary>
    public static void SawForkSemantics() => _forkSemantics = true;

    /// <summary>In flight: no spawn (true), else how many times none was since the process started.</summary>
    public readonly record struct Mark(bool Quiet, long Quiets);

    /// <summary>One spawn in flight; <see cref="Settle"/> takes it out, once, from whichever side learns it first.</summary>
    public sealed class Ticket
    {
        private int _settled;

        public void Settle()
        {
            if (Interlocked.Exchange(ref _settled, 1) != 0)
            {
                return;
            }

            lock (Gate)
            {
                if (--_count == 0)
                {
                    _quiets++;
                }
            }
        }
    }
}
