using ScriptExec.Supervisor.Runtime;

namespace ScriptExec.Supervisor.Processes;

/// <summary>
/// Limits for captured output: the longest line (longer ones are split), the bytes kept per execution, the
/// daemon-wide output budget and the secret values masked.
/// </summary>
public sealed record OutputCaptureOptions(
    int LineCapBytes = SupervisorOptions.DefaultOutputLineCapBytes,
    long MaxStoredBytes = SupervisorOptions.DefaultOutputMaxBytesPerExecution)
{
    /// <summary>The clock that stamps each line (wall time, as users read it).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Masks secret values in every kept line before the byte cap and the sink see it.</summary>
    public SecretMasker Secrets { get; init; } = SecretMasker.None;

    /// <summary>The daemon-wide budget each line is admitted by, charged to <see cref="BudgetKey"/>; null: every line is kept.</summary>
    public OutputBudget? Budget { get; init; }

    /// <summary>Whose line it is for the budget: the execution id.</summary>
    public long BudgetKey { get; init; }
}

/// <summary>What to run: the file executed directly (no shell, no PATH search), its arguments and its complete environment.</summary>
public sealed record ProcessStartSpec(
    string ExecutablePath,
    IReadOnlyList<string> Arguments,
    IReadOnlyDictionary<string, string> Environment,
    string WorkingDirectory,
    OutputCaptureOptions Output)
{
    /// <summary>
    /// The most a stdin payload may hold: one page, the smallest capacity a pipe can have and PIPE_BUF, so writing it
    /// into a fresh pipe is one atomic write that can never block (see <see cref="StdinPayload"/>).
    /// </summary>
    public const int MaxStdinPayloadBytes = 4096;

    /// <summary>Cgroups, rlimits and niceness applied to the child before its exec (<see cref="HeldSpawn"/>); null: spawned directly.</summary>
    public ChildSetup? Setup { get; init; }

    /// <summary>
    /// Bytes the script reads on stdin, followed by end of file; null: stdin is /dev/null. Written into the pipe and
    /// the daemon's end closed before the spawn, so a script that never reads, or closes stdin early, affects nothing.
    /// Longer than <see cref="MaxStdinPayloadBytes"/> throws <see cref="ArgumentOutOfRangeException"/>.
    /// </summary>
    public ReadOnlyMemory<byte>? StdinPayload
    {
        get;
        init
        {
            if (value is { Length: > MaxStdinPayloadBytes } payload)
            {
                throw new ArgumentOutOfRangeException(nameof(StdinPayload), payload.Length, $"A stdin payload holds at most {MaxStdinPayloadBytes} bytes.");
            }

            field = value;
        }
    }
}
