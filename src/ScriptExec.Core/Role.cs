namespace ScriptExec.Core;

/// <summary>What a caller may do; each role includes the ones below it.</summary>
public enum Role
{
    /// <summary>Authenticated but mapped to no role: every method is forbidden.</summary>
    None = 0,

    /// <summary>Read methods.</summary>
    Viewer = 1,

    /// <summary>Viewer, plus starting and stopping instances and writing the state tree.</summary>
    Operator = 2,

    /// <summary>Operator, plus script and instance management.</summary>
    Admin = 3,
}

/// <summary>Wire names of <see cref="Role"/>.</summary>
public static class Roles
{
    public static string ToWire(this Role role) => role switch
    {
        Role.Viewer => "viewer",
        Role.Operator => "operator",
        Role.Admin => "admin",
        _ => "none",
    };

    public static bool TryParse(string? value, out Role role)
    {
        switch (value)
        {
            case "viewer": role = Role.Viewer; return true;
            case "operator": role = Role.Operator; return true;
            case "admin": role = Role.Admin; return true;
            default: role = Role.None; return false;
        }
    }
}
