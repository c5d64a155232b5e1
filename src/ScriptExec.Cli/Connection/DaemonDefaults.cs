namespace ScriptExec.Cli.Connection;

/// <summary>
/// The daemon's default data directory and socket path, computed by the same rules scriptexecd uses
/// (DaemonOptions), so that <c>scriptexec</c> finds a daemon started without options by the same user.
/// Duplicated rather than shared because the CLI must not depend on the daemon.
/// </summary>
internal static class DaemonDefaults
{
    /// <summary>root: /var/lib/scriptexec; others: $XDG_DATA_HOME/scriptexec (~/.local/share/scriptexec).</summary>
    public static string DataDirectory(Func<string, string?> environment)
    {
        if (Environment.UserName == "root")
        {
            return "/var/lib/scriptexec";
        }

        var xdg = environment("XDG_DATA_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(string.IsNullOrEmpty(xdg) ? Path.Combine(home, ".local", "share") : xdg, "scriptexec");
    }

    /// <summary>root: /run/scriptexec/scriptexecd.sock; others: $XDG_RUNTIME_DIR/scriptexec/… or the data dir.</summary>
    public static string SocketPath(string dataDirectory, Func<string, string?> environment)
    {
        if (Environment.UserName == "root")
        {
            return "/run/scriptexec/scriptexecd.sock";
        }

        var runtime = environment("XDG_RUNTIME_DIR");
        return string.IsNullOrEmpty(runtime) || !Directory.Exists(runtime)
            ? Path.Combine(dataDirectory, "scriptexecd.sock")
            : Path.Combine(runtime, "scriptexec", "scriptexecd.sock");
    }
}
