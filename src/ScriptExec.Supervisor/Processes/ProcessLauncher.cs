using System.Diagnostics;
using System.Net.Sockets;
using static ScriptExec.Supervisor.Processes.NativeMethods;

namespace ScriptExec.Supervisor.Processes;

/// <summary>Starts a script in its own session with its output captured; see <see cref="SpawnedProcess"/>.</summary>
public static class ProcessLauncher
{
    /// <summary>
    /// Spawns the process and starts capturing its output into <paramref name="sink"/>.
    /// Throws <see cref="ProcessStartException"/> when it cannot be started, <see cref="ArgumentException"/> for an invalid spec.
    /// </summary>
    public static SpawnedProcess Start(ProcessStartSpec spec, IOutputSink sink) => Begin(spec, sink).Proceed();

    /// <summary>
    /// Spawns the process; with a <see cref="ProcessStartSpec.Setup"/> it is held before its exec until
    /// <see cref="PendingSpawn.Proceed"/> (or killed by <see cref="PendingSpawn.Abandon"/>), so its pid can be recorded
    /// before it runs anything. Throws as <see cref="Start"/>.
    /// </summary>
    public static PendingSpawn Begin(ProcessStartSpec spec, IOutputSink sink)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(sink);
        Validate(spec);

        SafeSocketHandle? stdoutRead = null, stderrRead = null;
        int stdinRead = -1, stdoutWrite = -1, stderrWrite = -1;
        HeldChild? held = null;
        int pid;
        try
        {
            if (spec.StdinPayload is { } payload)
            {
                stdinRead = CreateFilledPipe(payload.Span);
            }

            (stdoutRead, stdoutWrite) = CreateSocketPair();
            (stderrRead, stderrWrite) = CreateSocketPair();
            if (spec.Setup is { } setup)
            {
                held = HeldSpawn.Begin(spec, setup, stdinRead, stdoutWrite, stderrWrite, sink);
                pid = held.Pid;
            }
            else
            {
                pid = PosixSpawn.Spawn(spec, stdinRead, stdoutWrite, stderrWrite);
            }
        }
        catch
        {
            stdoutRead?.Dispose();
            stderrRead?.Dispose();
            throw;
        }
        finally
        {
            // The child has its own copies (a held one made them before it reached its gate); ours must go, or end
            // of file would never come.
            CloseIfOpen(stdinRead);
            CloseIfOpen(stdoutWrite);
            CloseIfOpen(stderrWrite);
        }

        return new PendingSpawn(spec, sink, pid, ProcessRecovery.ReadProcStartTime(pid), held, stdoutRead, stderrRead);
    }

    /// <summary>Starts reading the output and waiting for the exit of a process that runs now.</summary>
    internal static SpawnedProcess Follow(
        int pid, long procStartTime, ProcessStartSpec spec, IOutputSink sink, SafeSocketHandle stdoutRead, SafeSocketHandle stderrRead)
    {
        var startTimestamp = Stopwatch.GetTimestamp();
        try
        {
            var capture = OutputCapture.Start(OpenReadSide(stdoutRead), OpenReadSide(stderrRead), sink, spec.Output);
            var process = new SpawnedProcess(pid, procStartTime, startTimestamp, capture);
            process.StartWaiter();
            return process;
        }
        catch
        {
            // Nobody would ever watch or reap this child.
            KillAndReap(pid);
            stdoutRead.Dispose();
            stderrRead.Dispose();
            throw;
        }
    }

    /// <summary>SIGKILLs the process's group and reaps it.</summary>
    internal static void KillAndReap(int pid)
    {
        Kill(-pid, Signals.SIGKILL);
        WaitExited(pid, keepZombie: false, out _, out _);
    }

    private static void Validate(ProcessStartSpec spec)
    {
        // A NUL would silently cut a C string short; '=' in a name would change which variable is set.
        RequireCString(spec.ExecutablePath, nameof(spec.ExecutablePath), allowEmpty: false);
        RequireCString(spec.WorkingDirectory, nameof(spec.WorkingDirectory), allowEmpty: false);
        foreach (var argument in spec.Arguments)
        {
            RequireCString(argument, nameof(spec.Arguments), allowEmpty: true);
        }

        foreach (var (name, value) in spec.Environment)
        {
            RequireCString(name, nameof(spec.Environment), allowEmpty: false);
            RequireCString(value, nameof(spec.Environment), allowEmpty: true);
            if (name.Contains('=', StringComparison.Ordinal))
            {
                throw new ArgumentException($"Environment variable name '{name}' contains '='.", nameof(spec));
            }
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(spec.Output.LineCapBytes, LineSplitter.MinLineCapBytes, nameof(spec));
        ArgumentOutOfRangeException.ThrowIfNegative(spec.Output.MaxStoredBytes, nameof(spec));
    }

    private static void RequireCString(string value, string what, bool allowEmpty)
    {
        if (value.Contains('\0', StringComparison.Ordinal) || (!allowEmpty && value.Length == 0))
        {
            throw new ArgumentException($"{what} must be a non-empty string without NUL characters.", what);
        }
    }

    private static unsafe (SafeSocketHandle Read, int Write) CreateSocketPair()
    {
        // A socket pair rather than a pipe: what journald uses for service output, and the runtime reads sockets
        // with true async I/O. CLOEXEC so a concurrent spawn cannot inherit our ends.
        var fds = stackalloc int[2];
        if (SocketPair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
        {
            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            throw new ProcessStartException($"socketpair: {ErrorText(errno)}", errno);
        }

        return (new SafeSocketHandle(fds[0], ownsHandle: true), fds[1]);
    }

    /// <summary>
    /// A pipe already holding <paramref name="payload"/> with its write end closed: the child reads the payload, then
    /// end of file. Nothing is left for the daemon to do after the spawn, so a script that never reads stdin, or
    /// closes it, cannot block or hurt the daemon, and there is no write that could meet EPIPE.
    /// </summary>
    private static unsafe int CreateFilledPipe(ReadOnlySpan<byte> payload)
    {
        var fds = stackalloc int[2];
        if (Pipe2(fds, O_CLOEXEC) != 0)
        {
            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            throw new ProcessStartException($"pipe2: {ErrorText(errno)}", errno);
        }

        try
        {
            // At most PIPE_BUF bytes into an empty pipe (capacity at least one page): one atomic write that cannot
            // block or come back short (ProcessStartSpec refuses longer payloads).
            fixed (byte* bytes = payload)
            {
                nint written;
                do
                {
                    written = Write(fds[1], bytes, (nuint)payload.Length);
                }
                while (written < 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == EINTR);

                if (written != payload.Length)
                {
                    var errno = written < 0 ? System.Runtime.InteropServices.Marshal.GetLastPInvokeError() : 0;
                    throw new ProcessStartException($"write stdin payload: {(written < 0 ? ErrorText(errno) : "short write")}", errno);
                }
            }
        }
        catch
        {
            Close(fds[0]);
            throw;
        }
        finally
        {
            Close(fds[1]);
        }

        return fds[0];
    }

    private static Socket OpenReadSide(SafeSocketHandle handle)
    {
        var socket = new Socket(handle);
        try
        {
            // We never write to the script; a script that reads its stdout sees end of file instead of hanging.
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // Harmless: it only matters to a script that reads from its own stdout.
        }

        return socket;
    }

    private static void CloseIfOpen(int fd)
    {
        if (fd >= 0)
        {
            Close(fd);
        }
    }
}
