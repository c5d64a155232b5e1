namespace ScriptExec.Cli;

/// <summary>The exit codes scripts can rely on; <c>start --wait</c>, <c>rerun --wait</c> and <c>logs -f</c> instead exit with the script's own status.</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The daemon answered with an application error (not_found, already_running, conflict, ...).</summary>
    public const int ApplicationError = 1;

    /// <summary>Bad flags or arguments, including a value the daemon rejected as invalid (-32602).</summary>
    public const int Usage = 2;

    /// <summary>The daemon cannot be reached, refused the credentials, or closed the connection.</summary>
    public const int Unavailable = 3;

    /// <summary>A reply that makes no sense, or a failure inside the CLI itself.</summary>
    public const int Protocol = 4;

    /// <summary>Interrupted by SIGINT (Ctrl-C), as a shell reports it.</summary>
    public const int Interrupted = 130;
}
