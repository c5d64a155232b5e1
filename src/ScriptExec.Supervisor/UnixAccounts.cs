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

    private static IEnumerable<(string Name, uint Uid, uint Gid, string Home)> Entries()
    {
        foreach (var line in File.ReadLines("/etc/passwd"))
        {
            var fields = line.Split(':');
            if (fields.Length >= 7
                && uint.TryParse(fields[2], CultureInfo.InvariantCulture, out var uid)
                && uint.TryParse(fields[3], CultureInfo.InvariantCulture, out var gid))
            {
                yield return (fields[0], uid, gid, fields[5]);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();
}
