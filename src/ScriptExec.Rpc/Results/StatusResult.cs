using ScriptExec.Core;
using ScriptExec.Store;
using ScriptExec.Supervisor;
using ScriptExec.Supervisor.Triggers;

namespace ScriptExec.Rpc.Results;

/// <summary>Daemon health and aggregated counts for dashboards.</summary>
public sealed record StatusResult(
    string Version,
    int Pid,
    long StartedTimestamp,
    long UptimeS,
    StoreStatus Store,
    ExecutionCountsDto Executions,
    IReadOnlyList<RunningDto> Running,
    ClientCounts Clients,
    LimitsDto Limits,
    DurationStats Durations,
    TriggerCounts Triggers,
    RetentionStatus Retention,
    ConfinementStatus Confinement,
    BudgetStatus Budget)
{
    /// <summary>The configured fleet channels (MQTT, outbound WebSocket); omitted when none is.</summary>
    public IReadOnlyList<ChannelStatus>? Channels { get; init; }
}

/// <summary>
/// What confines a run on this machine: rlimits (prlimit), a cgroup v2 per run, the controllers that enforce the
/// controller limits, and the hierarchy each of them lives in.
/// </summary>
public sealed record ConfinementStatus(
    bool Rlimits, string Cgroup, IReadOnlyList<string> Controllers, IReadOnlyDictionary<string, string> ControllerHierarchies)
{
    public static ConfinementStatus From(Supervisor.Runtime.Confinement c) =>
        new(c.Rlimits, c.Cgroup ? "v2" : "none", c.Controllers, c.ControllerHierarchies);
}

/// <summary>Retention limits (null: off) and what was pruned since start.</summary>
public sealed record RetentionStatus(
    long? MaxExecutions, long? MaxAgeS, long? MaxOutputBytes, long PrunedExecutions, long PrunedOutputLines, long? LastRunTimestamp)
{
    public static RetentionStatus From(ExecutionRetention retention)
    {
        var counts = retention.Counts;
        var options = retention.Options;
        return new RetentionStatus(
            options.MaxExecutions,
            options.MaxAge is { } age ? (long)age.TotalSeconds : null,
            options.MaxOutputBytes,
            counts.PrunedExecutions,
            counts.PrunedOutputLines,
            counts.LastRunTimestamp);
    }
}

/// <summary>
/// The SQLite file and whether it accepts writes: <c>writable</c> false from the first refused write until one
/// succeeds again, with <c>since_timestamp</c> and <c>last_error</c> (<c>full</c>, <c>read_only</c>, <c>io_error</c>) meanwhile;
/// <c>unloadable_rows</c> lists stored rows skipped because they could not be loaded.
/// </summary>
public sealed record StoreStatus(
    string Path,
    long SizeBytes,
    bool Writable,
    long? SinceTimestamp,
    string? LastError,
    long RefusedWrites,
    long LostOutputLines,
    int PendingEndRecords,
    bool ReserveHeld,
    IReadOnlyList<UnloadableRow> UnloadableRows)
{
    public static StoreStatus From(SqliteDatabase database, ExecutionSupervisor supervisor, UnloadableRows unloadable)
    {
        var condition = database.Availability.Current;
        return new StoreStatus(
            database.DatabasePath,
            database.CachedSizeBytes(),
            condition.Writable,
            condition.Since?.ToUnixTimeSeconds(),
            condition.LastError?.ToWire(),
            condition.RefusedWrites,
            condition.LostOutputLines,
            supervisor.PendingEndRecords,
            database.ReserveHeld,
            unloadable.List());
    }
}

public sealed record ExecutionCountsDto(
    long Total, long Running, long Terminating, long Finished, long Killed, long FinishedExitZero, long FinishedExitNonZero)
{
    public static ExecutionCountsDto From(ExecutionCounts c) =>
        new(c.Total, c.Running, c.Terminating, c.Finished, c.Killed, c.FinishedExitZero, c.FinishedExitNonZero);
}

public sealed record RunningDto(long Id, string ScriptName, string InstanceName, string State, int? Pid, long StartTimestamp);

public sealed record ClientCounts(int Unix, int Websocket, int Mqtt, int OutboundWebsocket);

public sealed record LimitsDto(
    int MaxConcurrentExecutions, int MaxMessageBytes, long OutputMaxBytesPerExecution, int OutputLineCapBytes);

/// <summary>Durations of finished runs (Rundeck's metrics).</summary>
public sealed record DurationStats(long Count, double AvgMs, long? MinMs, long? MaxMs)
{
    public static DurationStats From(ExecutionCounts c) => new(c.DurationCount, Math.Round(c.DurationAverageMs, 1), c.DurationMinMs, c.DurationMaxMs);
}
