using System.Runtime.InteropServices;

namespace ScriptExec.Cli;

/// <summary>The CLI's calls into libc, in one place. The native binary links them directly (DirectPInvoke in the csproj).</summary>
internal static unsafe partial class NativeMethods
{
    private const string Libc = "libc";

    internal const int EINTR = 4;

    [LibraryImport(Libc, EntryPoint = "write", SetLastError = true)]
    internal static partial nint Write(int fd, byte* buffer, nint count);
}
