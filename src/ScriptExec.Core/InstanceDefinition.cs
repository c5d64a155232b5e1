namespace ScriptExec.Core;

/// <summary>A named configuration of a script; runs at most once at any time.</summary>
public sealed record InstanceDefinition
{
    public const int DefaultStopGraceSeconds = 10;

    public required string ScriptName { get; init; }

    public required string InstanceName { get; init; }

    public string? Arguments { get; init; }

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Secret environment entries: passed to the script like the others, but never returned, logged or put on a
    /// command line. Outside the spawn path their values read as <see cref="SecretMask"/>.
    /// </summary>
    public IReadOnlyDictionary<string, string> SecretEnvironment { get; init; } = new Dictionary<string, string>();

    public const string SecretMask = "********";

    public string? WorkingDirectory { get; init; }

    /// <summary>Run as this user (needs the daemon to run as root).</summary>
    public string? User { get; init; }

    /// <summary>Stop with system/timeout after this many seconds; null: no timeout.</summary>
    public int? TimeoutSeconds { get; init; }

    public int StopGraceSeconds { get; init; } = DefaultStopGraceSeconds;

    public TriggerDefinition StartTrigger { get; init; } = TriggerDefinition.Manual;

    public TriggerDefinition? StopTrigger { get; init; }

    public long UpdatedTimestamp { get; init; }

    /// <summary>
    /// The role of the run's token (the stdin payload's <c>token</c>): what the script may do when it calls the
    /// daemon back. Never above the role of whoever set the instance.
    /// </summary>
    public Role Role { get; init; } = Role.Operator;

    /// <summary>Resource limits this instance sets; what it leaves out comes from the daemon's defaults.</summary>
    public LimitOverrides Limits { get; init; } = LimitOverrides.None;

    /// <summary>A disabled instance's triggers do not fire and a manual start is refused; its history stays.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Null: a run that ends is not started again.</summary>
    public RestartPolicy? Restart { get; init; }

    public OverlapPolicy Overlap { get; init; } = OverlapPolicy.Skip;

    /// <summary>A schedule tick missed while the daemon was down runs once at start (systemd's <c>Persistent=</c>); otherwise it is skipped.</summary>
    public bool CatchUp { get; init; }
}
