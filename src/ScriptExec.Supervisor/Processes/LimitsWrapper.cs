using System.Globalization;
using ScriptExec.Core;

namespace ScriptExec.Supervisor.Processes;

/// <summary>
/// Applies <see cref="ResourceLimits"/> through an exec step: posix_spawn cannot set rlimits or niceness, and a fork
/// in .NET is out of the question. util-linux <c>prlimit COMMAND</c> calls setrlimit on itself and execs, coreutils
/// <c>nice -n N COMMAND</c> calls setpriority and execs, so the spawned pid stays the script's pid throughout.
/// </summary>
/// <remarks>
/// Only numbers go on the command line (visible in <c>ps</c>); the environment, secrets included, passes through
/// exec untouched. Wrap the run-as command line (setpriv), not the other way round: the limits are set while the
/// process is still root, so the hard limits can be anything, and the unprivileged script cannot raise them again.
/// </remarks>
public sealed class LimitsWrapper
{
    public const string DefaultPrlimitPath = "/usr/bin/prlimit";

    public const string DefaultNicePath = "/usr/bin/nice";

    /// <summary>The soft CPU limit sends SIGXCPU, which a script may catch; the hard one, this much later, kills.</summary>
    public const int CpuHardGraceSeconds = 5;

    private const long BytesPerMebibyte = 1024 * 1024;

    private LimitsWrapper(string? prlimitPath, string? nicePath)
    {
        PrlimitPath = prlimitPath;
        NicePath = nicePath;
    }

    /// <summary>prlimit's path, or null when it is not installed (no rlimits can be applied).</summary>
    public string? PrlimitPath { get; }

    /// <summary>nice's path, or null when it is not installed (no niceness can be applied).</summary>
    public string? NicePath { get; }

    /// <summary>True when every limit can be applied; what <c>status.confinement.rlimits</c> reports.</summary>
    public bool CanApplyAll => PrlimitPath is not null && NicePath is not null;

    /// <summary>Looks for the two programs once, at startup; missing ones are reported by <see cref="Problem"/>.</summary>
    public static LimitsWrapper Detect(string prlimitPath = DefaultPrlimitPath, string nicePath = DefaultNicePath) =>
        new(File.Exists(prlimitPath) ? prlimitPath : null, File.Exists(nicePath) ? nicePath : null);

    /// <summary>Why <paramref name="limits"/> cannot be applied on this machine, or null when they can.</summary>
    public string? Problem(ResourceLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (PrlimitPath is null && LimitKinds.All.Any(kind => kind != LimitKind.Nice && kind.Controller() is null && limits[kind] is not null))
        {
            return $"resource limits need {DefaultPrlimitPath} (util-linux), which is not installed";
        }

        if (NicePath is null && limits.Nice is not null)
        {
            return $"nice needs {DefaultNicePath} (coreutils), which is not installed";
        }

        return null;
    }

    /// <summary>
    /// The command line that runs <paramref name="executable"/> with <paramref name="arguments"/> under
    /// <paramref name="limits"/>; unchanged when there are none. Throws <see cref="ProcessStartException"/> when a
    /// needed program is missing (see <see cref="Problem"/>): a run never silently goes without its limits.
    /// </summary>
    public (string Executable, IReadOnlyList<string> Arguments) Wrap(ResourceLimits limits, string executable, IReadOnlyList<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(arguments);
        if (Problem(limits) is { } problem)
        {
            throw new ProcessStartException(problem);
        }

        if (limits.Nice is { } niceness)
        {
            // Niceness 0 is what the daemon's children get anyway, but keep it explicit so the command says what was asked.
            arguments = ["-n", Number(niceness), "--", executable, .. arguments];
            executable = NicePath!;
        }

        var rlimits = RlimitOptions(limits);
        if (rlimits.Count > 0)
        {
            arguments = [.. rlimits, "--", executable, .. arguments];
            executable = PrlimitPath!;
        }

        return (executable, arguments);
    }

    /// <summary>prlimit options for every set rlimit: soft and hard alike, except the CPU time (see <see cref="CpuHardGraceSeconds"/>).</summary>
    internal static List<string> RlimitOptions(ResourceLimits limits) =>
        [.. Rlimits(limits).Select(r => $"--{r.Option}={Number(r.Soft)}:{Number(r.Hard)}")];

    /// <summary>
    /// Every set rlimit as (RLIMIT_* number, prlimit option name, soft, hard): what the prlimit step sets, and what
    /// <see cref="HeldSpawn"/> sets with prlimit(2) on a held child. The numbers are the kernel's generic ones
    /// (x86_64 and arm64 alike).
    /// </summary>
    internal static List<(int Resource, string Option, long Soft, long Hard)> Rlimits(ResourceLimits limits)
    {
        var rlimits = new List<(int, string, long, long)>();
        if (limits.CpuSeconds is { } cpu)
        {
            rlimits.Add((0, "cpu", cpu, cpu + CpuHardGraceSeconds));
        }

        AddBoth(rlimits, 9, "as", Bytes(limits.AddressSpaceMb));
        AddBoth(rlimits, 2, "data", Bytes(limits.DataMb));
        AddBoth(rlimits, 1, "fsize", Bytes(limits.FileSizeMb));
        AddBoth(rlimits, 7, "nofile", limits.OpenFiles);
        AddBoth(rlimits, 6, "nproc", limits.Processes);
        AddBoth(rlimits, 3, "stack", Bytes(limits.StackMb));
        return rlimits;
    }

    private static void AddBoth(List<(int, string, long, long)> rlimits, int resource, string option, long? value)
    {
        if (value is { } number)
        {
            rlimits.Add((resource, option, number, number));
        }
    }

    private static long? Bytes(int? mebibytes) => mebibytes * BytesPerMebibyte;

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
