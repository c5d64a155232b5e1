namespace ScriptExec.Supervisor;

/// <summary>Retention limits; a null limit is off.</summary>
public sealed class RetentionOptions
{
    public long? MaxExecutions { get; init; } = 100_000;

    public TimeSpan? MaxAge { get; init; }

    public long? MaxOutputBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>How often the age and size limits are checked; the count limit is also checked after every run.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMinutes(1);
}
