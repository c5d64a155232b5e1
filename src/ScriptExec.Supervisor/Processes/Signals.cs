namespace ScriptExec.Supervisor.Processes;

/// <summary>Linux signal numbers used to stop scripts, and those the kernel sends when a limit is hit.</summary>
public static class Signals
{
    public const int SIGHUP = 1;
    public const int SIGINT = 2;
    public const int SIGQUIT = 3;
    public const int SIGKILL = 9;
    public const int SIGUSR1 = 10;
    public const int SIGUSR2 = 12;
    public const int SIGTERM = 15;
    public const int SIGCONT = 18;
    public const int SIGSTOP = 19;

    /// <summary>The soft CPU time limit (RLIMIT_CPU) was reached.</summary>
    public const int SIGXCPU = 24;

    /// <summary>A write went past the file size limit (RLIMIT_FSIZE).</summary>
    public const int SIGXFSZ = 25;
}
