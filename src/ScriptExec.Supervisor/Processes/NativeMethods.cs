using System.Runtime.InteropServices;

namespace ScriptExec.Supervisor.Processes;

/// <summary>The libc calls the process layer needs (glibc, 64-bit Linux layouts).</summary>
internal static unsafe partial class NativeMethods
{
    // The runtime maps "libc" to the C library's real soname on Linux.
    private const string Libc = "libc";

    internal const int ENOENT = 2;
    internal const int ESRCH = 3;
    internal const int EINTR = 4;
    internal const int EIO = 5;
    internal const int EPERM = 1;
    internal const int ENOSYS = 38;

    internal const int AF_UNIX = 1;
    internal const int SOCK_STREAM = 1;
    internal const int SOCK_CLOEXEC = 0x80000;

    internal const int EEXIST = 17;

    internal const int O_RDONLY = 0;
    internal const int O_WRONLY = 1;
    internal const int O_RDWR = 2;
    internal const int O_NONBLOCK = 0x800;
    internal const int O_CLOEXEC = 0x80000;

    internal const short POSIX_SPAWN_SETSIGDEF = 0x04;
    internal const short POSIX_SPAWN_SETSIGMASK = 0x08;
    internal const short POSIX_SPAWN_SETSID = 0x80;

    internal const int P_PID = 1;
    internal const int WEXITED = 4;
    internal const int WNOWAIT = 0x01000000;

    internal const int CLD_EXITED = 1;
    internal const int CLD_KILLED = 2;
    internal const int CLD_DUMPED = 3;

    // Generous upper bounds: glibc x86_64 uses 80 (file actions), 336 (attr), 128 (sigset_t, siginfo_t).
    internal const int FileActionsSize = 256;
    internal const int SpawnAttrSize = 512;
    internal const int SigSetSize = 128;
    internal const int SigInfoSize = 128;
    internal const int SigInfoCodeOffset = 8;
    internal const int SigInfoStatusOffset = 24;

    /// <summary>chown(2); <c>uint.MaxValue</c> (-1) leaves that id unchanged.</summary>
    [LibraryImport(Libc, EntryPoint = "chown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Chown(string path, uint owner, uint group);

    [LibraryImport(Libc, EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);

    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(Libc, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Open(string path, int flags);

    [LibraryImport(Libc, EntryPoint = "read", SetLastError = true)]
    internal static partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport(Libc, EntryPoint = "rmdir", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int RemoveDirectory(string path);

    [LibraryImport(Libc, EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int MkFifo(string path, uint mode);

    [LibraryImport(Libc, EntryPoint = "gettid")]
    internal static partial int GetTid();

    /// <summary>prlimit(2) on another process; <paramref name="limit"/> points at two 64-bit values, soft then hard.</summary>
    [LibraryImport(Libc, EntryPoint = "prlimit", SetLastError = true)]
    internal static partial int Prlimit(int pid, int resource, long* limit, long* oldLimit);

    internal const int PRIO_PROCESS = 0;

    [LibraryImport(Libc, EntryPoint = "setpriority", SetLastError = true)]
    internal static partial int SetPriority(int which, uint who, int priority);

    [LibraryImport(Libc, EntryPoint = "socketpair", SetLastError = true)]
    internal static partial int SocketPair(int domain, int type, int protocol, int* fds);

    [LibraryImport(Libc, EntryPoint = "pipe2", SetLastError = true)]
    internal static partial int Pipe2(int* fds, int flags);

    [LibraryImport(Libc, EntryPoint = "write", SetLastError = true)]
    internal static partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport(Libc, EntryPoint = "waitid", SetLastError = true)]
    internal static partial int WaitId(int idType, uint id, byte* info, int options);

    [LibraryImport(Libc, EntryPoint = "pidfd_open", SetLastError = true)]
    internal static partial int PidfdOpen(int pid, uint flags);

    [LibraryImport(Libc, EntryPoint = "pidfd_send_signal", SetLastError = true)]
    internal static partial int PidfdSendSignal(int pidfd, int signal, void* info, uint flags);

    internal const short POLLIN = 0x001;
    internal const short POLLPRI = 0x002;

    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>A pidfd polls readable once its process has exited; a timeout in milliseconds, -1 for none.</summary>
    [LibraryImport(Libc, EntryPoint = "poll", SetLastError = true)]
    internal static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    // The posix_spawn family returns the error number instead of setting errno.
    [LibraryImport(Libc, EntryPoint = "posix_spawn")]
    internal static partial int PosixSpawn(int* pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport(Libc, EntryPoint = "posix_spawn_file_actions_init")]
    internal static partial int FileActionsInit(void* fileActions);

    [LibraryImport(Libc, EntryPoint = "posix_spawn_file_actions_destroy")]
    internal static partial int FileActionsDestroy(void* fileActions);

    [LibraryImport(Libc, EntryPoint = "posix_spawn_file_actions_adddup2")]
    internal static partial int FileActionsAddDup2(void* fileActions, int fd, int newFd);

    [LibraryImport(Libc, EntryPoint = "posix_spawn_file_actions_addopen")]
    internal static partial int FileActionsAddOpen(void* fileActions, int fd, byte* path, int flags, uint mode);

    [LibraryImport(Libc, EntryPoint = "posix_spawn_file_actions_addclose")]
    internal static partial int FileActionsAddClose(void* fileActions, int fd);

    [LibraryImport(Libc, EntryPoint = "posix_spawn_file_actions_addchdir_np")]
    internal static partial int FileActionsAddChdir(void* fileActions, byte* path);

    [LibraryImport(Libc, EntryPoint = "posix_spawn_file_actions_addclosefrom_np")]
    internal static partial int FileActionsAddCloseFrom(void* fileActions, int lowFd);

    [LibraryImport(Libc, EntryPoint = "posix_spawnattr_init")]
    internal static partial int SpawnAttrInit(void* attr);

    [LibraryImport(Libc, EntryPoint = "posix_spawnattr_destroy")]
    internal static partial int SpawnAttrDestroy(void* attr);

    [LibraryImport(Libc, EntryPoint = "posix_spawnattr_setflags")]
    internal static partial int SpawnAttrSetFlags(void* attr, short flags);

    [LibraryImport(Libc, EntryPoint = "posix_spawnattr_setsigmask")]
    internal static partial int SpawnAttrSetSigMask(void* attr, void* sigset);

    [LibraryImport(Libc, EntryPoint = "posix_spawnattr_setsigdefault")]
    internal static partial int SpawnAttrSetSigDefault(void* attr, void* sigset);

    /// <summary>
    /// Waits for the child <paramref name="pid"/> to exit; with <paramref name="keepZombie"/> it stays unreaped, so its pid
    /// and group id cannot be reused yet. Returns 0 or the errno, with si_code and si_status on success.
    /// </summary>
    internal static int WaitExited(int pid, bool keepZombie, out int code, out int status)
    {
        var info = stackalloc byte[SigInfoSize];
        new Span<byte>(info, SigInfoSize).Clear();
        var options = WEXITED | (keepZombie ? WNOWAIT : 0);
        while (WaitId(P_PID, (uint)pid, info, options) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR)
            {
                code = status = 0;
                return errno;
            }
        }

        code = *(int*)(info + SigInfoCodeOffset);
        status = *(int*)(info + SigInfoStatusOffset);
        return 0;
    }

    /// <summary>Text for an errno value, e.g. "No such file or directory".</summary>
    internal static string ErrorText(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
