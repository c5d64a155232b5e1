using ScriptExec.Core;
using ScriptExec.Supervisor.Runtime;

namespace ScriptExec.Supervisor;

/// <summary>Limits and paths of the supervisor.</summary>
public sealed class SupervisorOptions
{
    // The one home of these defaults: the daemon's options and the capture refer to them.
    public const int DefaultMaxConcurrentExecutions = 64;
    public const int DefaultOutputLineCapBytes = 16 * 1024;
    public const long DefaultOutputMaxBytesPerExecution = 1024 * 1024;

    /// <summary>Where script sources are written as executable files, one per version.</summary>
    public required string ScriptDirectory { get; init; }

    /// <summary>Concurrent executions at most; a start beyond it fails with <c>capacity</c>.</summary>
    public int MaxConcurrentExecutions { get; init; } = DefaultMaxConcurrentExecutions;

    /// <summary>A longer line is stored as several lines.</summary>
    public int OutputLineCapBytes { get; init; } = DefaultOutputLineCapBytes;

    /// <summary>Output kept per execution; past it the execution reports output_truncated and the rest is drained.</summary>
    public long OutputMaxBytesPerExecution { get; init; } = DefaultOutputMaxBytesPerExecution;

    /// <summary>The daemon-wide rate of captured output kept; lines past it are dropped, never waited for.</summary>
    public OutputBudgetOptions OutputBudget { get; init; } = new();

    /// <summary>The PATH scripts get; nothing else of the daemon's environment is passed on.</summary>
    public string ScriptPath { get; init; } = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>
    /// Where per-execution cgroups go: <c>auto</c> (under the daemon's own cgroup v2, if writable), <c>off</c>, or
    /// the path of a writable cgroup v2 directory.
    /// </summary>
    public string Cgroup { get; init; } = "auto";

    /// <summary>Working directory of scripts whose instance names none, when there is no <see cref="WorkDirectory"/>.</summary>
    public string DefaultWorkingDirectory { get; init; } = "/";

    /// <summary>Root of the instances' persistent working directories (the daemon sets <c>&lt;data dir&gt;/work</c>); null: none.</summary>
    public string? WorkDirectory { get; init; }

    /// <summary>The daemon-wide resource limits an instance inherits for every limit it leaves out.</summary>
    public ResourceLimits DefaultLimits { get; init; } = ResourceLimits.Unlimited;

    /// <summary>Per-file quota of the working directory (MiB) where neither instance nor defaults set <c>file_size_mb</c>; null: none.</summary>
    public int? WorkdirQuotaMb { get; init; } = ResourceLimits.DefaultWorkdirQuotaMb;

    /// <summary>The Unix socket scripts may call back on (the stdin payload's <c>socket</c>).</summary>
    public string? ControlSocketPath { get; init; }

    /// <summary>The WebSocket URL scripts may call back on (the payload's <c>url</c>); null when the WebSocket is off.</summary>
    public string? ControlUrl { get; init; }
}
