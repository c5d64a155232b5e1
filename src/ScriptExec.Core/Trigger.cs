namespace ScriptExec.Core;

/// <summary>
/// A start or stop trigger. For xpath and scheduler triggers <see cref="Setting"/> is what was configured; for a
/// system stop trigger it holds the cause, which is how the store keeps it (stop_trigger_setting) and which the
/// wire reports as <see cref="Reason"/> instead (seed 000: no setting for system). <see cref="Username"/> is set
/// only for manual triggers.
/// </summary>
public sealed record Trigger(TriggerType Type, string? Setting = null, string? Username = null)
{
    public static Trigger Manual(string username) => new(TriggerType.Manual, null, username);

    public static Trigger System(string cause) => new(TriggerType.System, cause);

    /// <summary>Why the daemon stopped the execution (<c>timeout</c>, <c>shutdown</c>, …); null unless a system trigger.</summary>
    public string? Reason => Type == TriggerType.System ? Setting : null;

    /// <summary>The configured setting; null for system triggers, whose stored setting is their <see cref="Reason"/>.</summary>
    public string? ConfiguredSetting => Type == TriggerType.System ? null : Setting;

    /// <summary>The stop cause recorded when the instance's timeout_s elapsed.</summary>
    public const string TimeoutCause = "timeout";

    /// <summary>The stop cause recorded when the daemon shut down while the execution ran.</summary>
    public const string ShutdownCause = "shutdown";

    /// <summary>The stop cause recorded at start-up for executions a crashed daemon left running.</summary>
    public const string RecoveryCause = "recovery";

    /// <summary>The stop cause recorded when the instance's script or the instance was deleted while it ran.</summary>
    public const string DeletedCause = "deleted";

    /// <summary>The stop cause recorded when the execution exceeded its CPU time limit (cpu_s).</summary>
    public const string CpuLimitCause = "cpu_limit";

    /// <summary>The stop cause recorded when the kernel's OOM killer ended the execution in its cgroup.</summary>
    public const string OomCause = "oom";
}
