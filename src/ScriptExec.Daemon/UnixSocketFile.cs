using System.Net.Sockets;

namespace ScriptExec.Daemon;

/// <summary>The socket file: a stale one from a crashed daemon is removed, a live one or a non-socket file is not.</summary>
internal static class UnixSocketFile
{
    public const UnixFileMode SocketMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    public static void Prepare(string path)
    {
        var dir = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        }

        var info = new FileInfo(path);
        if (!info.Exists && info.LinkTarget is null)
        {
            return;
        }

        if (!IsSocket(path))
        {
            throw new OptionsException($"socket: {path} exists and is not a socket; refusing to remove it");
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            // Nobody listens: left behind by a daemon that did not stop cleanly.
            File.Delete(path);
            return;
        }

        throw new OptionsException($"socket: another daemon is listening on {path}");
    }

    /// <summary>Owner and group may connect (SPEC: 0660, the owner's group, or <paramref name="group"/>); others may not.</summary>
    public static void Restrict(string path, string? group)
    {
        File.SetUnixFileMode(path, SocketMode);
        if (group is not null && Supervisor.UnixAccounts.GroupId(group) is { } gid && NativeMethods.Chown(path, uint.MaxValue, gid) != 0)
        {
            throw new OptionsException($"socket_group: cannot give {path} to group '{group}' (the daemon must own the socket and be in the group, or run as root)");
        }
    }

    private static unsafe bool IsSocket(string path)
    {
        // .NET exposes no file type; statx's layout (unlike struct stat's) is the same on every architecture.
        const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100, StatxType = 1, ModeOffset = 28;
        const int TypeMask = 0xF000, SocketType = 0xC000;
        var buffer = stackalloc byte[256];
        return NativeMethods.Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, buffer) == 0
            && (*(ushort*)(buffer + ModeOffset) & TypeMask) == SocketType;
    }
}
