using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using static ScriptExec.Supervisor.Processes.NativeMethods;

namespace ScriptExec.Supervisor.Processes;

/// <summary>
/// One thread that learns of every script's exit: a pidfd per process in one epoll set. A thread per process (a
/// blocking waitid) would cost a thread's creation and teardown on every run, which on a small device is a good part
/// of what a short script costs. Null (<see cref="Shared"/>) where the kernel has no pidfd (before Linux 5.3): each
/// process then gets its own waiting thread.
/// </summary>
internal sealed unsafe partial class ExitWatcher
{
    private const int EPOLL_CTL_ADD = 1;
    private const uint EPOLLIN = 0x001;
    private const uint EPOLLONESHOT = 1u << 30;
    private const int MaxEvents = 64;

    // struct epoll_event is packed on x86-64 (12 bytes), naturally aligned elsewhere (16 bytes).
    private static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    private readonly int _epoll;
    // By a token of their own, not by descriptor number: a child spawned at that moment holds a copy of a pidfd until
    // its closefrom, so the registration of a closed pidfd can outlive it while its number already names the next one.
    private readonly ConcurrentDictionary<long, (int Pidfd, Action Exited)> _watched = new();
    private long _nextToken;

    private ExitWatcher(int epoll)
    {
        _epoll = epoll;
        var thread = new Thread(Run, 64 * 1024) { IsBackground = true, Name = "exit-watcher" };
        thread.Start();
    }

    /// <summary>The daemon's watcher, or null where the kernel has no pidfd or epoll cannot be set up.</summary>
    public static ExitWatcher? Shared { get; } = Create();

    /// <summary>
    /// Calls <paramref name="exited"/> on the watcher's thread once <paramref name="pid"/> (a child not yet reaped) has
    /// exited; it is not reaped here. The call must be short and must not block: reaping a zombie is, and what may
    /// wait goes on asynchronously. False when the process cannot be watched this way.
    /// </summary>
    public bool TryWatch(int pid, Action exited)
    {
        var pidfd = PidfdOpen(pid, 0);
        if (pidfd < 0)
        {
            return false;
        }

        var token = Interlocked.Increment(ref _nextToken);
        _watched[token] = (pidfd, exited);
        var ev = stackalloc byte[16];
        *(uint*)ev = EPOLLIN | EPOLLONESHOT;
        *(ulong*)(ev + (EventSize == 12 ? 4 : 8)) = (ulong)token;
        if (EpollCtl(_epoll, EPOLL_CTL_ADD, pidfd, ev) != 0)
        {
            _watched.TryRemove(token, out _);
            Close(pidfd);
            return false;
        }

        return true;
    }

    private static ExitWatcher? Create()
    {
        // pidfd_open on ourselves tells whether the kernel has it at all.
        var probe = PidfdOpen(Environment.ProcessId, 0);
        if (probe < 0)
        {
            return null;
        }

        Close(probe);
        var epoll = EpollCreate1(O_CLOEXEC);
        return epoll < 0 ? null : new ExitWatcher(epoll);
    }

    private void Run()
    {
        var events = stackalloc byte[MaxEvents * 16];
        var dataOffset = EventSize == 12 ? 4 : 8;
        while (true)
        {
            var ready = EpollWait(_epoll, events, MaxEvents, -1);
            for (var i = 0; i < ready; i++)
            {
                // One shot: reported once. A token no longer watched is a stale registration (see _watched): ignored.
                var token = (long)*(ulong*)(events + (i * EventSize) + dataOffset);
                if (_watched.TryRemove(token, out var watched))
                {
                    Close(watched.Pidfd);
                    watched.Exited();
                }
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    private static partial int EpollCreate1(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    private static partial int EpollCtl(int epoll, int operation, int fd, byte* ev);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    private static partial int EpollWait(int epoll, byte* events, int maxEvents, int timeoutMs);
}
