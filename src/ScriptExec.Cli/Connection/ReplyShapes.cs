namespace ScriptExec.Cli.Connection;

// The result shapes the CLI reads, as docs/API.md defines them. Only what the CLI shows is declared;
// unknown fields are ignored so a newer daemon's additions do not break an older CLI.

/// <summary>A start or stop trigger.</summary>
internal sealed record WireTrigger(string Type, string? Setting, string? Username, string? Reason = null);

/// <summary>RipEX2's Execution of <c>script_execution_get</c> (plus pid while alive).</summary>
internal sealed record WireExecution(
    long Id,
    string ScriptName,
    string InstanceName,
    long StartTimestamp,
    WireTrigger StartTrigger,
    string State,
    string? Arguments,
    long? Duration,
    int? ExitCode,
    WireTrigger? StopTrigger,
    bool IsOutdated,
    int? Pid,
    bool OutputTruncated)
{
    /// <summary>True once the execution has ended (<c>finished</c> or <c>killed</c>).</summary>
    public bool HasEnded => State is "finished" or "killed";
}

internal sealed record WireLine(long Id, string Content, string Stream, long TimestampMs);

internal sealed record WireOutputPage(WireExecution Execution, List<WireLine> Lines);

internal sealed record WireExecutions(List<WireExecution> Executions);

internal sealed record WireInstanceOverview(string Name, WireTrigger StartTrigger, WireTrigger? StopTrigger, WireExecution? LastExecution);

internal sealed record WireScriptOverview(string Name, string Version, string? Description, List<WireInstanceOverview> Instances);

internal sealed record WireOverview(List<WireScriptOverview> Scripts);

internal sealed record WireScript(string Name, string? Source, string Version, string? Description, long UpdatedTimestamp);

internal sealed record WireSubscription(long SubscriptionId);

internal sealed record WireExecutionChanged(long SubscriptionId, WireExecution Execution, long? Dropped);

internal sealed record WireExecutionOutput(long SubscriptionId, long ExecutionId, List<WireLine> Lines, long? Dropped);
