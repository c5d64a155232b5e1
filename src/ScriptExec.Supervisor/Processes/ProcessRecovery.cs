using static ScriptExec.Supervisor.Processes.NativeMethods;

namespace ScriptExec.Supervisor.Processes;

/// <summary>Finds and kills, at daemon start-up, the processes of executions a crashed daemon left running.</summary>
public static class ProcessRecovery
{
    private const string BootIdPath = "/proc/sys/kernel/random/boot_id";

    // A member may fork while a pass runs; a few passes catch the children, a fork bomb is not worth looping on.
    private const int MaxPasses = 5;

    /// <summary>The current boot id, trimmed; null if unreadable. Pids and start times only mean something within one boot.</summary>
    public static string? ReadBootId()
    {
        try
        {
            return File.ReadAllText(BootIdPath).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Field 22 of /proc/&lt;pid&gt;/stat (start time in clock ticks since boot); 0 if the process is gone.</summary>
    public static long ReadProcStartTime(int pid) => ProcStat.TryRead(pid, out var stat) ? stat.StartTime : 0;

    /// <summary>
    /// SIGKILLs every process of session <paramref name="sessionId"/>, but only in the boot it was started in and, while
    /// a process with that pid exists, only if its start time is <paramref name="procStartTime"/> (else the pid was reused).
    /// Returns how many processes were signalled.
    /// </summary>
    public static int KillSession(int sessionId, string? bootId, long procStartTime)
    {
        if (sessionId <= 1 || bootId is null || !string.Equals(bootId, ReadBootId(), StringComparison.Ordinal))
        {
            return 0;
        }

        if (ProcStat.TryRead(Environment.ProcessId, out var self) && self.SessionId == sessionId)
        {
            return 0;
        }

        // Without the leader, the members still pin the session id (the kernel does not reuse it while in use),
        // so they are ours; with a leader, it must be the very process that was started.
        if (ProcStat.TryRead(sessionId, out var leader) && leader.StartTime != procStartTime)
        {
            return 0;
        }

        var signalled = new HashSet<int>();
        for (var pass = 0; pass < MaxPasses; pass++)
        {
            var sawNew = false;
            foreach (var pid in LiveMembers(sessionId))
            {
                if (!signalled.Contains(pid))
                {
                    sawNew = true;
                    if (KillMember(pid, sessionId))
                    {
                        signalled.Add(pid);
                    }
                }
            }

            if (!sawNew)
            {
                break;
            }
        }

        return signalled.Count;
    }

    private static IEnumerable<int> LiveMembers(int sessionId)
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid)
                && ProcStat.TryRead(pid, out var stat)
                && stat.SessionId == sessionId
                && !stat.IsZombie)
            {
                yield return pid;
            }
        }
    }

    private static bool KillMember(int pid, int sessionId)
    {
        // A pidfd pins one process, so re-checking its session after opening it closes the window in which the pid
        // could have been reused between the /proc scan and the signal.
        int pidfd;
        try
        {
            pidfd = PidfdOpen(pid, 0);
        }
        catch (EntryPointNotFoundException)
        {
            return Kill(pid, Signals.SIGKILL) == 0;
        }

        if (pidfd < 0)
        {
            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            return errno is ENOSYS or EPERM && Kill(pid, Signals.SIGKILL) == 0;
        }

        try
        {
            unsafe
            {
                return ProcStat.TryRead(pid, out var stat)
                    && stat.SessionId == sessionId
                    && PidfdSendSignal(pidfd, Signals.SIGKILL, null, 0) == 0;
            }
        }
        finally
        {
            Close(pidfd);
        }
    }
}
