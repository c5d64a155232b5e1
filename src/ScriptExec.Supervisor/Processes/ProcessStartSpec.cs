namespace ScriptExec.Supervisor.Processes;

/// <summary>Limits for captured output: the longest line (longer ones are split) and the bytes kept per execution.</summary>
public sealed record OutputCaptureOptions(
    int LineCapBytes = SupervisorOptions.DefaultOutputLineCapBytes,
    long MaxStoredBytes = SupervisorOptions.DefaultOutputMaxBytesPerExecution)
{
    /// <summary>The clock that stamps each line (wall time, as users read it).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>What to run: the file executed directly (no shell, no PATH search), its arguments and its complete environment.</summary>
public sealed record ProcessStartSpec(
    string ExecutablePath,
    IReadOnlyList<string> Arguments,
    IReadOnlyDictionary<string, string> Environment,
    string WorkingDirectory,
    OutputCaptureOptions Output);
