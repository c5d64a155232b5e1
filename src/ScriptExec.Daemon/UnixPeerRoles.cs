using ScriptExec.Core;
using ScriptExec.Supervisor;

namespace ScriptExec.Daemon;

/// <summary>
/// The role of a Unix-socket peer: root and the daemon's own user are admins; anyone else gets the highest role
/// that <c>unix_roles</c> maps one of their groups (primary or supplementary, from /etc/group) to, or none.
/// </summary>
public sealed class UnixPeerRoles
{
    private readonly IReadOnlyDictionary<string, Role> _groupRoles;
    private readonly uint _daemonUid = UnixAccounts.EffectiveUserId();

    public UnixPeerRoles(DaemonOptions options)
    {
        _groupRoles = options.UnixRoles;
    }

    public Role Resolve(uint uid, uint gid, string userName)
    {
        if (uid == 0 || uid == _daemonUid)
        {
            return Role.Admin;
        }

        var role = Role.None;
        foreach (var group in UnixAccounts.GroupsOf(userName, gid))
        {
            if (_groupRoles.TryGetValue(group, out var mapped) && mapped > role)
            {
                role = mapped;
            }
        }

        return role;
    }
}
