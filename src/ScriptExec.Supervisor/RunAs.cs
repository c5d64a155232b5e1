using System.Globalization;
using ScriptExec.Core;

namespace ScriptExec.Supervisor;

/// <summary>
/// Runs a script as another user through util-linux <c>setpriv</c> (present on Debian by default): posix_spawn
/// cannot change credentials, and setpriv drops them after the fork without a shell in between.
/// </summary>
/// <remarks>
/// The working directory is entered after the drop, by coreutils <c>env --chdir</c>: posix_spawn's chdir runs as
/// root, which would let a run as <c>nobody</c> start inside <c>/root</c>. A directory the user cannot enter makes
/// the run fail with env's message on stderr and exit status 125.
/// </remarks>
public static class RunAs
{
    public const string SetprivPath = "/usr/bin/setpriv";

    public const string EnvPath = "/usr/bin/env";

    /// <summary>Where the spawn itself starts before the drop: every user may enter it.</summary>
    public const string SpawnDirectory = "/";

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

    /// <summary>
    /// The command line that runs <paramref name="executable"/> as <paramref name="user"/> in
    /// <paramref name="workingDirectory"/>; spawn it in <see cref="SpawnDirectory"/>.
    /// </summary>
    public static (string Executable, IReadOnlyList<string> Arguments) Wrap(
        string user, string workingDirectory, string executable, IReadOnlyList<string> arguments, IDictionary<string, string> environment)
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
            EnvPath,
            "--chdir=" + workingDirectory,
            "--",
            executable,
            .. arguments,
        ]);
    }
}
