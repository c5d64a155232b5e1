using System.Globalization;
using ScriptExec.Core;

namespace ScriptExec.Supervisor;

/// <summary>
/// Runs a script as another user through util-linux <c>setpriv</c> (present on Debian by default): posix_spawn
/// cannot change credentials, and setpriv drops them after the fork without a shell in between.
/// </summary>
public static class RunAs
{
    public const string SetprivPath = "/usr/bin/setpriv";

    /// <summary>Why <paramref name="user"/> cannot be used, or null when it can.</summary>
    public static string? Problem(string user)
    {
        if (!UnixAccounts.IsRoot)
        {
            return "running as another user needs the daemon to run as root";
        }

        if (!File.Exists(SetprivPath))
        {
            return $"{SetprivPath} (util-linux) is not installed";
        }

        return UnixAccounts.ByName(user) is null ? $"'{user}' does not exist" : null;
    }

    public static (string Executable, IReadOnlyList<string> Arguments) Wrap(
        string user, string executable, IReadOnlyList<string> arguments, IDictionary<string, string> environment)
    {
        var account = UnixAccounts.ByName(user) ?? throw new ScriptExecException(ErrorKind.NotFound, $"user '{user}' does not exist");
        environment["USER"] = account.Name;
        environment["LOGNAME"] = account.Name;
        environment["HOME"] = account.Home;
        return (SetprivPath,
        [
            "--reuid=" + account.Uid.ToString(CultureInfo.InvariantCulture),
            "--regid=" + account.Gid.ToString(CultureInfo.InvariantCulture),
            "--init-groups",
            "--",
            executable,
            .. arguments,
        ]);
    }
}
