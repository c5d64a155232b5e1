using System.Runtime.CompilerServices;
using ScriptExec.Supervisor.Processes;

namespace ScriptExec.Supervisor;

/// <summary>A step of the start and stop paths after which the test-only crash switch can kill the daemon.</summary>
public enum CrashPoint
{
    None,

    /// <summary>The start row is committed; nothing is spawned yet.</summary>
    StartRowCommitted,

    /// <summary>The child is held before its exec, its cgroup and limits applied; it is not released yet (HeldSpawn).</summary>
    SpawnHeld,

    /// <summary>The script is spawned; its pid is not committed yet.</summary>
    Spawned,

    /// <summary>The pid is committed.</summary>
    PidCommitted,

    /// <summary>A stop committed <c>terminating</c>; no signal is sent yet.</summary>
    TerminatingCommitted,

    /// <summary>A stop sent its signal; the end record is not written yet.</summary>
    Signalled,

    /// <summary>Inside the end record's transaction, before its commit.</summary>
    EndCommitting,

    /// <summary>The end record is committed; it is not logged or announced to subscribers yet.</summary>
    EndCommitted,
}

/// <summary>
/// TEST ONLY. With <c>SCRIPTEXECD_TEST_CRASH_AT=&lt;point&gt;</c> in its environment at start-up (a kebab-case
/// <see cref="CrashPoint"/> name, e.g. <c>spawned</c>), the daemon SIGKILLs itself the first time it reaches that
/// step, so the fault suite can hit each crash window deterministically. The variable is read once; unset (as in
/// production) every check is a compare against a static readonly field the JIT folds to a constant. The prefix is
/// SCRIPTEXECD_, not SCRIPTEXEC_, so it is never taken for a configuration key.
/// </summary>
public static class CrashSwitch
{
    public const string EnvironmentVariable = "SCRIPTEXECD_TEST_CRASH_AT";

    private static readonly CrashPoint Armed = Parse(Environment.GetEnvironmentVariable(EnvironmentVariable));

    /// <summary>The kebab-case name of <paramref name="point"/>, as the environment variable takes it.</summary>
    public static string NameOf(CrashPoint point) =>
        string.Concat(point.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Reached(CrashPoint point)
    {
        if (Armed != CrashPoint.None && Armed == point)
        {
            Die();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Die()
    {
        // SIGKILL, not an exit: no finally block, flush or shutdown hook may run, exactly as with kill -9.
        NativeMethods.Kill(Environment.ProcessId, Signals.SIGKILL);
    }

    private static CrashPoint Parse(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return CrashPoint.None;
        }

        foreach (var point in Enum.GetValues<CrashPoint>())
        {
            if (string.Equals(NameOf(point), value, StringComparison.Ordinal))
            {
                return point;
            }
        }

        // A typo would silently test nothing.
        throw new InvalidOperationException($"{EnvironmentVariable}={value} names no crash point");
    }
}
