using System.Security.Cryptography;
using System.Text;

namespace ScriptExec.Core;

/// <summary>A stored script: its current source and the content hash that names that version.</summary>
public sealed record ScriptDefinition(string Name, string Source, string Version, string? Description, long UpdatedTimestamp)
{
    /// <summary>The version of a source: the first 16 hex digits of its SHA-256, stable across restarts and machines.</summary>
    public static string VersionOf(string source)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(source), hash);
        return Convert.ToHexStringLower(hash[..8]);
    }
}

/// <summary>A start or stop trigger as configured on an instance (no username: that is recorded per execution).</summary>
public sealed record TriggerDefinition(TriggerType Type, string? Setting = null)
{
    public static readonly TriggerDefinition Manual = new(TriggerType.Manual);
}

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
}

/// <summary>Which stream a captured line came from.</summary>
public enum OutputStreamKind
{
    Stdout = 1,
    Stderr = 2,
}

/// <summary>One captured line of an execution's output; ids increase with arrival, per execution.</summary>
public sealed record OutputLine(long Id, string Content, OutputStreamKind Stream, long TimestampMs);
