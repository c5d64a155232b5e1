using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using static ScriptExec.Supervisor.Processes.NativeMethods;

namespace ScriptExec.Supervisor.Processes;

/// <summary>
/// One cgroup v2 per execution, <c>&lt;base&gt;/scriptexec-&lt;daemon key&gt;/exec-&lt;id&gt;</c>: every process of the
/// execution is in it from before the script's first instruction, whatever session or group it moves to, so
/// <c>cgroup.kill</c> ends them all at once, forks in flight included. No controller is enabled: this is about
/// finding and killing; the controller limits are <see cref="CgroupControllers"/>' (which may enable controllers here).
/// </summary>
public sealed class ExecutionCgroups
{
    // posix_spawn gives no hook between fork and exec, so a tiny shell step moves itself into the cgroup and then
    // execs the real command: the script starts inside, and so do all its descendants. Writing into cgroup.procs
    // after spawn would leave a window in which the script could fork a child that stays outside. If the move fails
    // the script still runs (stop and recovery then rely on the process group and the environment scan).
    // The exec goes through env(1), which names the errno ("No such file or directory") when the script or its
    // interpreter cannot be run, as posix_spawn did before; a shell's own wording differs from shell to shell.
    private const string Shell = "/bin/sh";
    private const string Env = "/usr/bin/env";
    // $0 is how many cgroup.procs files follow: the run's v2 cgroup and the v1 cgroups of its controller limits.
    private const string JoinAndExec =
        "n=$0; while [ \"$n\" -gt 0 ]; do echo \"$$\" > \"$1\" || echo \"scriptexecd: could not join cgroup $1; running without it\" >&2; shift; n=$((n-1)); done; exec \"$@\"";

    private const string ExecutionPrefix = "exec-";

    private ExecutionCgroups(string root)
    {
        Root = root;
    }

    /// <summary>This daemon's directory of execution cgroups.</summary>
    public string Root { get; }

    /// <summary>
    /// The cgroup tree for the daemon <paramref name="daemonKey"/> under <paramref name="configuredBase"/>, or, when
    /// that is null, under the daemon's own cgroup v2 (from <c>/proc/self/cgroup</c>). Null when there is no cgroup v2
    /// we may write to, no <c>cgroup.kill</c> (kernels before 5.14) or no <c>/bin/sh</c>; <paramref name="reason"/> says why.
    /// </summary>
    public static ExecutionCgroups? Discover(string? configuredBase, string daemonKey, out string reason)
    {
        var baseDirectory = configuredBase ?? OwnCgroup();
        if (baseDirectory is null)
        {
            reason = "no cgroup v2 hierarchy holds this process";
            return null;
        }

        if (!File.Exists(Shell) || !File.Exists(Env))
        {
            reason = $"{Shell} or {Env} is missing";
            return null;
        }

        var root = Path.Combine(baseDirectory, "scriptexec-" + daemonKey);
        try
        {
            Directory.CreateDirectory(root);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            reason = $"{baseDirectory} is not writable: {e.Message}";
            return null;
        }

        if (!File.Exists(Path.Combine(root, "cgroup.kill")))
        {
            reason = $"{root} has no cgroup.kill (Linux 5.14 or later is needed)";
            return null;
        }

        reason = root;
        return new ExecutionCgroups(root);
    }

    /// <summary>Creates the cgroup of execution <paramref name="id"/>; null if it cannot be created (the run goes unconfined).</summary>
    public string? Create(long id)
    {
        var path = PathOf(id);
        try
        {
            Directory.CreateDirectory(path);
            return path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary><paramref name="spec"/> run through the step that joins every one of <paramref name="cgroups"/> first.</summary>
    public static ProcessStartSpec Confine(ProcessStartSpec spec, IReadOnlyList<string> cgroups) => spec with
    {
        ExecutablePath = Shell,
        Arguments =
        [
            "-c", JoinAndExec, cgroups.Count.ToString(CultureInfo.InvariantCulture), .. cgroups.Select(c => Path.Combine(c, "cgroup.procs")),

            // env would take a path containing '=' for a variable to set: such a path is exec'd by the shell itself.
            .. spec.ExecutablePath.Contains('=', StringComparison.Ordinal) ? Array.Empty<string>() : [Env],
            spec.ExecutablePath, .. spec.Arguments,
        ],
    };

    /// <summary>The ids of the execution cgroups that exist now.</summary>
    public IReadOnlyList<long> Existing() => IdsIn(Root);

    /// <summary>The ids of the execution cgroups (<c>exec-&lt;id&gt;</c>) in <paramref name="root"/>.</summary>
    internal static IReadOnlyList<long> IdsIn(string root)
    {
        try
        {
            return [.. Directory.EnumerateDirectories(root, ExecutionPrefix + "*")
                .Select(d => long.TryParse(Path.GetFileName(d)[ExecutionPrefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : 0)
                .Where(id => id > 0)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>
    /// SIGKILLs every process in the cgroup of <paramref name="id"/> and waits (at most <paramref name="timeout"/>)
    /// until it is empty. Returns how many processes it held; 0 when it does not exist.
    /// </summary>
    public int Kill(long id, TimeSpan timeout)
    {
        var path = PathOf(id);

        // The usual end: the script left nothing behind. Nothing can enter an empty cgroup (only a member forks into
        // it, and only a new run's held child is written into one), so there is nothing to kill or wait for.
        if (!IsPopulated(path))
        {
            return 0;
        }

        var members = Members(path);
        if (members < 0)
        {
            return 0;
        }

        if (!KillNow(id))
        {
            return 0;
        }

        WaitUntilEmpty(path, timeout);
        return members;
    }

    /// <summary>Writes <c>cgroup.kill</c> and returns at once; false when the cgroup does not exist.</summary>
    public bool KillNow(long id) => KernelFiles.TryWriteText(Path.Combine(PathOf(id), "cgroup.kill"), "1") == 0;

    /// <summary>Removes the (empty) cgroup of <paramref name="id"/>; false when it still has processes or cannot be removed.</summary>
    public bool Remove(long id) => KernelFiles.TryRemoveDirectory(PathOf(id)) is 0 or NativeMethods.ENOENT;

    /// <summary>Removes this daemon's (then empty) directory of execution cgroups at shutdown.</summary>
    public void RemoveRoot()
    {
        try
        {
            Directory.Delete(Root);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // An execution cgroup is left (a run outlived the shutdown); the next start-up sweeps it.
        }
    }

    /// <summary>The daemon's own cgroup v2 directory: the "0::" line of /proc/self/cgroup under the cgroup2 mount.</summary>
    internal static string? OwnCgroup()
    {
        try
        {
            var mount = File.ReadLines("/proc/self/mounts")
                .Select(line => line.Split(' '))
                .FirstOrDefault(fields => fields.Length > 2 && fields[2] == "cgroup2")?[1];
            var own = File.ReadLines("/proc/self/cgroup").FirstOrDefault(line => line.StartsWith("0::", StringComparison.Ordinal))?[3..];
            if (mount is null || own is null || own.Contains(" (deleted)", StringComparison.Ordinal))
            {
                return null;
            }

            // /proc/self/mounts escapes blanks in paths as octal (\040).
            return Path.Join(mount.Replace("\\040", " ", StringComparison.Ordinal), own);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The cgroup directory of execution <paramref name="id"/> (whether or not it exists).</summary>
    public string PathOf(long id) => Path.Combine(Root, ExecutionPrefix + id.ToString(CultureInfo.InvariantCulture));

    private static int Members(string path) =>
        KernelFiles.TryReadText(Path.Combine(path, "cgroup.procs")) is { } text ? text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length : -1;

    /// <summary>True while a process lives in the cgroup at <paramref name="path"/>; false when it is empty or gone.</summary>
    private static bool IsPopulated(string path) => SaysPopulated(KernelFiles.TryReadText(Path.Combine(path, "cgroup.events")));

    /// <summary>True when <paramref name="events"/>, a cgroup.events text, does not say "populated 0"; false for null.</summary>
    private static bool SaysPopulated(string? events) => events is not null && !events.Contains("populated 0", StringComparison.Ordinal);

    private static unsafe void WaitUntilEmpty(string path, TimeSpan timeout)
    {
        // cgroup.events signals POLLPRI when "populated" changes; the short poll timeout only guards against a
        // change that happened between the read and the poll.
        var events = Path.Combine(path, "cgroup.events");
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (!SaysPopulated(KernelFiles.TryReadText(events)))
            {
                return;
            }

            using var handle = File.OpenHandle(events);
            var fd = new PollFd { Fd = (int)handle.DangerousGetHandle(), Events = POLLPRI };
            _ = Poll(&fd, 1, 50);
            _ = Marshal.GetLastPInvokeError();
        }
    }
}
