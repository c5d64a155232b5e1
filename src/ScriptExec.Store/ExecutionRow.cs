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

    /// <summary>The row <paramref name="statement"/> stands on, its columns in <see cref="Columns"/>' order (a run-time-built query).</summary>
    public static ExecutionRow Read(PreparedStatement statement) => new()
    {
        Id = statement.GetInt64(0),
        ScriptName = statement.GetString(1),
        InstanceName = statement.GetString(2),
        ScriptVersion = statement.GetString(3),
        StartTimestamp = statement.GetInt64(4),
        StartTriggerType = statement.GetString(5),
        StartTriggerSetting = statement.GetNullableString(6),
        StartTriggerUsername = statement.GetNullableString(7),
        State = statement.GetString(8),
        Arguments = statement.GetNullableString(9),
        Pid = statement.GetNullableInt64(10),
        DurationMs = statement.GetNullableInt64(11),
        ExitCode = statement.GetNullableInt64(12),
        StopTriggerType = statement.GetNullableString(13),
        StopTriggerSetting = statement.GetNullableString(14),
        StopTriggerUsername = statement.GetNullableString(15),
        Outdated = statement.GetInt64(16),
        OutputTruncated = statement.GetInt64(17),
        OutputDroppedLines = statement.GetInt64(18),
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
}
