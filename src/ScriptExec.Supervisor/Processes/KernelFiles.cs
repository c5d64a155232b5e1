using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using static ScriptExec.Supervisor.Processes.NativeMethods;

namespace ScriptExec.Supervisor.Processes;

/// <summary>
/// The small files of <c>/proc</c> and <c>/sys/fs/cgroup</c> a run's start and end read and write: one open, the
/// reads or the one write, one close. A <see cref="FileStream"/> adds an fstat, an advisory lock and its release, a
/// seek and (writing) a truncate to each, which on a run's path cost more than the access itself; and a file that is
/// not there (a process gone, a cgroup the run never had) is an answer here, not an exception.
/// </summary>
internal static unsafe class KernelFiles
{
    // Larger than any stat line or events file; cgroup.procs of a busy cgroup may need more, and gets it.
    private const int FirstReadBytes = 4096;

    /// <summary>The whole text of <paramref name="path"/>; null when it cannot be opened or read (gone, not permitted).</summary>
    public static string? TryReadText(string path)
    {
        var fd = Open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
        {
            return null;
        }

        byte[]? rented = null;
        try
        {
            Span<byte> buffer = stackalloc byte[FirstReadBytes];
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.CopyTo(larger);
                    if (rented is not null)
                    {
                        ArrayPool<byte>.Shared.Return(rented);
                    }

                    rented = larger;
                    buffer = larger;
                }

                nint read;
                fixed (byte* free = buffer[length..])
                {
                    do
                    {
                        read = Read(fd, free, (nuint)(buffer.Length - length));
                    }
                    while (read < 0 && Marshal.GetLastPInvokeError() == EINTR);
                }

                if (read < 0)
                {
                    return null;
                }

                if (read == 0)
                {
                    return Encoding.UTF8.GetString(buffer[..length]);
                }

                length += (int)read;
            }
        }
        finally
        {
            Close(fd);
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="text"/> to the existing file <paramref name="path"/> in one write (as a cgroup file takes
    /// it); 0 when done, else the errno (a short write counts as EIO).
    /// </summary>
    public static int TryWriteText(string path, string text)
    {
        var fd = Open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
        {
            return Marshal.GetLastPInvokeError();
        }

        try
        {
            var length = Encoding.UTF8.GetByteCount(text);
            Span<byte> bytes = length <= 256 ? stackalloc byte[length] : new byte[length];
            Encoding.UTF8.GetBytes(text, bytes);
            nint written;
            fixed (byte* start = bytes)
            {
                do
                {
                    written = Write(fd, start, (nuint)length);
                }
                while (written < 0 && Marshal.GetLastPInvokeError() == EINTR);
            }

            return written < 0 ? Marshal.GetLastPInvokeError() : written == length ? 0 : EIO;
        }
        finally
        {
            Close(fd);
        }
    }

    /// <summary>rmdir(2); 0 when removed, else the errno (ENOENT when it was not there).</summary>
    public static int TryRemoveDirectory(string path) => RemoveDirectory(path) == 0 ? 0 : Marshal.GetLastPInvokeError();
}
