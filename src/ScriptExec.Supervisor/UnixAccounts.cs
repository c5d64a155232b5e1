using System.Globalization;
using System.Runtime.InteropServices;

namespace ScriptExec.Supervisor;

/// <summary>Local account lookups: the daemon's own uid, and /etc/passwd entries by name or uid.</summary>
public static partial class UnixAccounts
{
    public static uint EffectiveUserId() => GetEffectiveUserId();

    public static bool IsRoot => GetEffectiveUserId() == 0;

    /// <summary>Reads /etc/passwd (local accounts; NSS sources such as LDAP are not consulted).</summary>
    public static (string Name, uint Uid, uint Gid, string Home)? ByName(string user) =>
        Entries().Cast<(string, uint, uint, string)?>().FirstOrDefault(e => e!.Value.Item1 == user);

    /// <summary>The account name of <paramref name="uid"/>, or the number itself when it has no entry.</summary>
    public static string NameOf(uint uid) =>
        Entries().Where(e => e.Uid == uid).Select(e => e.Name).FirstOrDefault()
        ?? uid.ToString(CultureInfo.InvariantCulture);

    /// <summary>Names of the groups <paramref name="user"/> is in: the primary one and every /etc/group listing the user.</summary>
    public static IReadOnlyList<string> GroupsOf(string user, uint primaryGid)
    {
        var groups = new List<string>();
        foreach (var line in File.ReadLines("/etc/group"))
        {
            var fields = line.Split(':');
            if (fields.Length < 4)
            {
                continue;
            }

            var isPrimary = uint.TryParse(fields[2], CultureInfo.InvariantCulture, out var gid) && gid == primaryGid;
            if (isPrimary || fields[3].Split(',').Contains(user, StringComparer.Ordinal))
            {
                groups.Add(fields[0]);
            }
        }

        return groups;
    }

    /// <summary>The id of a group named in /etc/group, or null.</summary>
    public static uint? GroupId(string group)
    {
        foreach (var line in File.ReadLines("/etc/group"))
        {
            var fields = line.Split(':');
            if (fields.Length >= 3 && fields[0] == group && uint.TryParse(fields[2], CultureInfo.InvariantCulture, out var gid))
            {
                return gid;
            }
        }

        return null;
    }

    // /etc/passwd as last parsed, with the modification time and length it had: a start as another user looks its
    // account up several times (script file, workdir, run-as wrapper), and a stat is all each lookup costs until
    // the file changes.
    private static PasswdSnapshot? _passwd;

    private static (string Name, uint Uid, uint Gid, string Home)[] Entries()
    {
        const string path = "/etc/passwd";
        var info = new FileInfo(path);
        var (written, length) = info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1L);
        if (Volatile.Read(ref _passwd) is { } cached && cached.Written == written && cached.Length == length)
        {
            return cached.Entries;
        }

        var entries = new List<(string, uint, uint, string)>();
        foreach (var line in File.ReadLines(path))
        {
            var fields = line.Split(':');
            if (fields.Length >= 7
                && uint.TryParse(fields[2], CultureInfo.InvariantCulture, out var uid)
                && uint.TryParse(fields[3], CultureInfo.InvariantCulture, out var gid))
            {
                entries.Add((fields[0], uid, gid, fields[5]));
            }
        }

        var snapshot = new PasswdSnapshot(written, length, [.. entries]);
        Volatile.Write(ref _passwd, snapshot);
        return snapshot.Entries;
    }

    private sealed record PasswdSnapshot(DateTime Written, long Length, (string Name, uint Uid, uint Gid, string Home)[] Entries);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();
}
