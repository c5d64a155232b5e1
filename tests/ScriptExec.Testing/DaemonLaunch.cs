namespace ScriptExec.Testing;

/// <summary>How to start a <see cref="DaemonProcess"/>: the data dir, and what differs from a plain start.</summary>
public sealed record DaemonLaunch(string DataDir)
{
    /// <summary>The scriptexecd.dll to run with <c>dotnet</c>; null for the one built beside the tests.</summary>
    public string? Dll { get; init; }

    /// <summary>
    /// A scriptexecd executable to run directly (e.g. the NativeAOT publish), instead of <see cref="Dll"/>; null for
    /// the dll, or the executable named by <c>SCRIPTEXECD_BINARY</c> when no dll is given.
    /// </summary>
    public string? Executable { get; init; }

    /// <summary>The Unix socket; null for <c>d.sock</c> in the data dir.</summary>
    public string? SocketPath { get; init; }

    /// <summary>RLIMIT_NOFILE (soft and hard) to run it under, with prlimit; null to inherit ours.</summary>
    public int? OpenFileLimit { get; init; }

    public IReadOnlyList<string> ExtraArgs { get; init; } = [];

    /// <summary>Variables added to the daemon's environment (e.g. the test-only crash switch).</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary>Removes the caller's <c>SCRIPTEXEC_*</c> variables, so only the command line configures the daemon.</summary>
    public bool ClearDaemonEnvironment { get; init; }

    public string? WorkingDirectory { get; init; }

    /// <summary>How many of the daemon's last log lines to keep; null keeps all (a test's daemon lives briefly).</summary>
    public int? LogLinesKept { get; init; }
}
