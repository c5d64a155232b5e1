using Microsoft.Data.Sqlite;
using ScriptExec.Core;

namespace ScriptExec.Store;

/// <summary>The executions table as Dapper reads it.</summary>
internal sealed class ExecutionRow
{
    public const string Columns = """
        id, script_name, instance_name, script_version, start_timestamp, start_trigger_type, start_trigger_setting,
        start_trigger_username, state, arguments, pid, duration_ms, exit_code, stop_trigger_type, stop_trigger_setting,
        stop_trigger_username, outdated, output_truncated, output_dropped_lines
        """;

    public long Id { get; init; }

    public string ScriptName { get; init; } = "";

    public string InstanceName { get; init; } = "";

    public string ScriptVersion { get; init; } = "";

    public long StartTimestamp { get; init; }

    public string StartTriggerType { get; init; } = "";

    public string? StartTriggerSetting { get; init; }

    public string? StartTriggerUsername { get; init; }

    public string State { get; init; } = "";

    public string? Arguments { get; init; }

    public long? Pid { get; init; }

    public long? DurationMs { get; init; }

    public long? ExitCode { get; init; }

    public string? StopTriggerType { get; init; }

    public string? StopTriggerSetting { get; init; }

    public string? StopTriggerUsername { get; init; }

    public long Outdated { get; init; }

    public long OutputTruncated { get; init; }

    public long OutputDroppedLines { get; init; }

    /// <summary>The row at the reader's position, its columns in <see cref="Columns"/>' order (a run-time-built query).</summary>
    public static ExecutionRow Read(SqliteDataReader reader) => new()
    {
        Id = reader.GetInt64(0),
        ScriptName = reader.GetString(1),
        InstanceName = reader.GetString(2),
        ScriptVersion = reader.GetString(3),
        StartTimestamp = reader.GetInt64(4),
        StartTriggerType = reader.GetString(5),
        StartTriggerSetting = NullableString(reader, 6),
        StartTriggerUsername = NullableString(reader, 7),
        State = reader.GetString(8),
        Arguments = NullableString(reader, 9),
        Pid = NullableInt64(reader, 10),
        DurationMs = NullableInt64(reader, 11),
        ExitCode = NullableInt64(reader, 12),
        StopTriggerType = NullableString(reader, 13),
        StopTriggerSetting = NullableString(reader, 14),
        StopTriggerUsername = NullableString(reader, 15),
        Outdated = reader.GetInt64(16),
        OutputTruncated = reader.GetInt64(17),
        OutputDroppedLines = reader.GetInt64(18),
    };

    public Execution ToExecution()
    {
        var state = StoreMapping.ParseState(State);
        return new Execution
        {
            Id = Id,
            ScriptName = ScriptName,
            InstanceName = InstanceName,
            ScriptVersion = ScriptVersion,
            StartTimestamp = StartTimestamp,
            StartTrigger = new Trigger(StoreMapping.ParseTrigger(StartTriggerType), StartTriggerSetting, StartTriggerUsername),
            State = state,
            Arguments = Arguments,
            Pid = state.IsActive() ? (int?)Pid : null,
            DurationMs = state.IsActive() ? null : DurationMs,
            ExitCode = state.IsActive() ? null : (int?)ExitCode,
            StopTrigger = StopTriggerType is null || state == ExecutionState.Running
                ? null
                : new Trigger(StoreMapping.ParseTrigger(StopTriggerType), StopTriggerSetting, StopTriggerUsername),
            IsOutdated = Outdated != 0,
            OutputTruncated = OutputTruncated != 0,
            OutputDroppedLines = OutputDroppedLines,
        };
    }

    private static string? NullableString(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static long? NullableInt64(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);
}
