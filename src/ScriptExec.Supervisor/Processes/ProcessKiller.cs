using System.Diagnostics;
using System.Runtime.InteropServices;
using static ScriptExec.Supervisor.Processes.NativeMethods;

namespace ScriptExec.Supervisor.Processes;

/// <summary>
/// SIGKILLs processes found by a /proc scan without hitting a reused pid, and waits until they have exited.
/// Each victim is pinned by a pidfd before it is checked again and signalled, and the pidfd tells when it is gone.
/// </summary>
internal sealed class ProcessKiller : IDisposable
{
    private readonly Dictionary<int, int> _pidfds = [];
    private readonly HashSet<int> _withoutPidfd = [];

    /// <summary>How many processes were signalled.</summary>
    public int Count => _pidfds.Count + _withoutPidfd.Count;

    public bool Signalled(int pid) => _pidfds.ContainsKey(pid) || _withoutPidfd.Contains(pid);

    /// <summary>
    /// Kills <paramref name="pid"/> if <paramref name="isOurs"/> still holds once the pid is pinned (the scan that found
    /// it may be stale by then). Returns true when the signal was sent.
    /// </summary>
    public bool TryKill(int pid, Func<int, bool> isOurs)
    {
        if (pid <= 1 || pid == Environment.ProcessId || Signalled(pid))
        {
            return false;
        }

        int pidfd;
        try
        {
            pidfd = PidfdOpen(pid, 0);
        }
        catch (EntryPointNotFoundException)
        {
            pidfd = -1;
            Marshal.SetLastPInvokeError(ENOSYS);
        }

        if (pidfd < 0)
        {
            // Kernels before 5.3 have no pidfd: a narrow reuse window remains there.
            var errno = Marshal.GetLastPInvokeError();
            if (errno is ENOSYS or EPERM && isOurs(pid) && Kill(pid, Signals.SIGKILL) == 0)
            {
                _withoutPidfd.Add(pid);
                return true;
            }

            return false;
        }

        unsafe
        {
            if (isOurs(pid) && PidfdSendSignal(pidfd, Signals.SIGKILL, null, 0) == 0)
            {
                _pidfds[pid] = pidfd;
                return true;
            }
        }

        Close(pidfd);
        return false;
    }

    /// <summary>Waits until every signalled process has exited (a zombie counts: it runs nothing). False on timeout.</summary>
    public bool WaitUntilGone(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var pending = _pidfds.Values.ToList();
        while (pending.Count > 0)
        {
            var remaining = timeout - clock.Elapsed;
            if (remaining <= TimeSpan.Zero)
            {
                return false;
            }

            pending = PollOnce(pending, (int)Math.Ceiling(remaining.TotalMilliseconds));
        }

        // Without a pidfd there is nothing to block on: look again until it is gone.
        while (_withoutPidfd.Any(pid => ProcStat.TryRead(pid, out var stat) && !stat.IsZombie))
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }

            Thread.Sleep(10);
        }

        return true;
    }

    public void Dispose()
    {
        foreach (var pidfd in _pidfds.Values)
        {
            Close(pidfd);
        }

        _pidfds.Clear();
    }

    private static unsafe List<int> PollOnce(List<int> pidfds, int timeoutMs)
    {
        var fds = new PollFd[pidfds.Count];
        for (var i = 0; i < fds.Length; i++)
        {
            fds[i] = new PollFd { Fd = pidfds[i], Events = POLLIN };
        }

        fixed (PollFd* pointer = fds)
        {
            if (Poll(pointer, (nuint)fds.Length, timeoutMs) < 0 && Marshal.GetLastPInvokeError() != EINTR)
            {
                throw new InvalidOperationException("poll on pidfds: " + ErrorText(Marshal.GetLastPInvokeError()));
            }
        }

        return [.. fds.Where(f => f.Revents == 0).Select(f => f.Fd)];
    }
}
