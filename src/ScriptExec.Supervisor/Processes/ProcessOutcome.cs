namespace ScriptExec.Supervisor.Processes;

/// <summary>
/// How the main process ended, as waitid reported it: an exit status, or the signal that killed it.
/// <see cref="ExitCode"/> keeps the two apart (<c>exit 143</c> is 143, death by SIGTERM is -15).
/// </summary>
public readonly record struct ProcessOutcome(bool Signaled, int Status, long DurationMs)
{
    public int ExitCode => Signaled ? -Status : Status;
}
