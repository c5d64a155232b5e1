using System.Runtime.InteropServices;

namespace ScriptExec.Daemon;

/// <summary>The host's calls into libc, in one place (the supervisor's are in its own <c>Processes/NativeMethods</c>).</summary>
internal static unsafe partial class NativeMethods
{
    private const string Libc = "libc";

    [LibraryImport(Libc, EntryPoint = "getrlimit")]
    internal static partial int GetRlimit(int resource, out ResourceLimit limit);

    [LibraryImport(Libc, EntryPoint = "setrlimit")]
    internal static partial int SetRlimit(int resource, in ResourceLimit limit);

    /// <summary>glibc only (musl has none): hands free arena memory back to the kernel.</summary>
    [LibraryImport(Libc, EntryPoint = "malloc_trim")]
    internal static partial int MallocTrim(nuint pad);

    /// <summary>glibc only: sets a malloc tunable (M_TRIM_THRESHOLD: <see cref="MallocTrimThresholdOption"/>); 1 when it was taken.</summary>
    [LibraryImport(Libc, EntryPoint = "mallopt")]
    internal static partial int MallOpt(int parameter, int value);

    /// <summary>M_TRIM_THRESHOLD (malloc.h): free memory at the top of an arena beyond which free() gives it back.</summary>
    internal const int MallocTrimThresholdOption = -1;

    /// <summary>madvise(2); ImagePages uses MADV_DONTNEED on its own clean read-only mappings.</summary>
    [LibraryImport(Libc, EntryPoint = "madvise")]
    internal static partial int Madvise(nint address, nuint length, int advice);

    [LibraryImport(Libc, EntryPoint = "chown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Chown(string path, uint owner, uint group);

    [LibraryImport(Libc, EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Statx(int dirFd, string path, int flags, uint mask, byte* buffer);

    /// <summary>struct rlimit: rlim_t is 64 bits on the 64-bit Linux targets .NET supports.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct ResourceLimit
    {
        public ulong Current;
        public ulong Maximum;
    }
}
