namespace ScriptExec.Supervisor;

/// <summary>Retention limits; a null limit is off.</summary>
public sealed class RetentionOptions
{
    // The one home of these defaults: the daemon's options refer to them.
    public const long DefaultMaxExecutions = 100_000;
    public const long DefaultMaxOutputBytes = 256L * 1024 * 1024;

    public long? MaxExecutions { get; init; } = DefaultMaxExecutions;

    public TimeSpan? MaxAge { get; init; }

    public long? MaxOutputBytes { get; init; } = DefaultMaxOutputBytes;

    /// <summary>How often the age and size limits are checked; the count limit is also checked after every run.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMinutes(1);
}
