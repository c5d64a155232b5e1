using ScriptExec.Core;

namespace ScriptExec.Supervisor;

/// <summary>
/// What an instance hands to exec: argument words, environment entries, working directory and user, all C strings.
/// The API refuses a NUL (or an '=' in a name) at the door; this checks again at spawn, for what was stored before
/// the door checked or written by other means, so such a run is refused cleanly instead of failing inside the spawn.
/// </summary>
internal static class SpawnInputs
{
    public const string NoNul = "must not contain NUL characters";

    /// <summary>The field that cannot be passed to exec (as the API names it) and why, or null when all can.</summary>
    public static (string Field, string Reason)? Problem(InstanceDefinition instance, string? arguments)
    {
        if (HasNul(arguments))
        {
            return ("arguments", NoNul);
        }

        foreach (var (name, value) in instance.Environment.Concat(instance.SecretEnvironment))
        {
            if (name.Length == 0 || HasNul(name) || name.Contains('=', StringComparison.Ordinal))
            {
                return ("env." + name.Replace("\0", "\\0", StringComparison.Ordinal), "is not a valid environment variable name");
            }

            if (HasNul(value))
            {
                return ("env." + name, NoNul);
            }
        }

        if (HasNul(instance.WorkingDirectory))
        {
            return ("working_dir", NoNul);
        }

        return HasNul(instance.User) ? ("user", NoNul) : null;
    }

    private static bool HasNul(string? value) => value is not null && value.Contains('\0', StringComparison.Ordinal);
}
