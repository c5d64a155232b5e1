using System.Runtime.InteropServices;

namespace ScriptExec.Core.Crypto;

/// <summary>
/// Cryptographically secure random bytes from the kernel (getrandom(2), the source OpenSSL seeds from), without
/// loading OpenSSL as <see cref="System.Security.Cryptography.RandomNumberGenerator"/> does on Linux (see
/// <see cref="Sha256"/> for what that costs). Like /dev/urandom after boot; before the kernel's pool is initialized it
/// waits rather than hand out weak bytes.
/// </summary>
public static partial class SecureRandom
{
    private const int Interrupted = 4; // EINTR

    /// <summary>Fills <paramref name="destination"/> with random bytes.</summary>
    public static unsafe void Fill(Span<byte> destination)
    {
        fixed (byte* start = destination)
        {
            var filled = 0;
            while (filled < destination.Length)
            {
                var got = GetRandom(start + filled, (nuint)(destination.Length - filled), 0);
                if (got > 0)
                {
                    filled += (int)got;
                }
                else if (got < 0 && Marshal.GetLastPInvokeError() != Interrupted)
                {
                    throw new IOException($"getrandom failed: errno {Marshal.GetLastPInvokeError()}");
                }
            }
        }
    }

    /// <summary>A new array of <paramref name="count"/> random bytes.</summary>
    public static byte[] GetBytes(int count)
    {
        var bytes = new byte[count];
        Fill(bytes);
        return bytes;
    }

    // glibc has had the wrapper since 2.25 (musl since 1.1.20).
    [LibraryImport("libc", EntryPoint = "getrandom", SetLastError = true)]
    private static unsafe partial nint GetRandom(byte* buffer, nuint length, uint flags);
}
