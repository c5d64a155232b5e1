namespace ScriptExec.Core;

/// <summary>
/// A start or stop trigger. <see cref="Setting"/> is present only for xpath, schedule and system triggers,
/// <see cref="Username"/> only for manual ones (seed 000's presence rules).
/// </summary>
public sealed record Trigger(TriggerType Type, string? Setting = null, string? Username = null)
{
    public static Trigger Manual(string username) => new(TriggerType.Manual, null, username);

    public static Trigger System(string cause) => new(TriggerType.System, cause);

    /// <summary>The stop cause recorded when the instance's timeout_s elapsed.</summary>
    public const string TimeoutCause = "timeout";

    /// <summary>The stop cause recorded when the daemon shut down while the execution ran.</summary>
    public const string ShutdownCause = "shutdown";

    /// <summary>The stop cause recorded at start-up for executions a crashed daemon left running.</summary>
    public const string RecoveryCause = "recovery";
}
