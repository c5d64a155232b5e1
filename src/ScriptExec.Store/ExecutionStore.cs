using Dapper;
using Microsoft.Data.Sqlite;
using ScriptExec.Core;

namespace ScriptExec.Store;

/// <summary>Execution records: the start and end writes of the supervisor, and every query over them.</summary>
public sealed partial class ExecutionStore
{
    // The id comes from the StartSequence; the pid is there when the process was held until its record committed.
    private const string InsertSql = """
        INSERT INTO executions (id, script_name, instance_name, script_version, start_timestamp, start_trigger_type,
                                start_trigger_setting, start_trigger_username, state, arguments, pid, proc_start_time, boot_id)
        VALUES (@Id, @ScriptName, @InstanceName, @ScriptVersion, @StartTimestamp, @TriggerType,
                @TriggerSetting, @TriggerUsername, 'running', @Arguments, @Pid, @ProcStartTime, @BootId);
        """;

    // AUTOINCREMENT's sequence outlives pruned rows; the highest id covers a store whose sequence row is missing.
    private const string LastIdSql = """
        SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'executions'), 0),
                   COALESCE((SELECT MAX(id) FROM executions), 0));
        """;

    // Retried after a refused write, it may come after the end record: an ended row never gets a pid again.
    private const string SetProcessSql = """
        UPDATE executions SET pid = @pid, proc_start_time = @procStartTime, boot_id = @bootId
        WHERE id = @id AND state IN ('running', 'terminating');
        """;

    private const string MarkTerminatingSql = """
        UPDATE executions SET state = 'terminating', stop_trigger_type = @Type, stop_trigger_setting = @Setting,
                              stop_trigger_username = @Username
        WHERE id = @Id AND state = 'running';
        """;

    // A stop trigger recorded when termination began is kept unless the end names one of its own.
    private const string FinishSql = """
        UPDATE executions SET state = @State, exit_code = @ExitCode, duration_ms = @DurationMs,
            stop_trigger_type = COALESCE(@StopType, stop_trigger_type),
            stop_trigger_setting = CASE WHEN @StopType IS NULL THEN stop_trigger_setting ELSE @StopSetting END,
            stop_trigger_username = CASE WHEN @StopType IS NULL THEN stop_trigger_username ELSE @StopUsername END,
            output_truncated = @OutputTruncated, end_timestamp = @EndTimestamp, output_bytes = @OutputBytes,
            output_dropped_lines = @OutputDroppedLines, pid = NULL
        WHERE id = @Id;
        """;

    // Patches one value into the stored tree rather than writing the whole document: a state_set committing
    // meanwhile keeps its change, and its own whole-document write already holds this value (the engine changes its
    // tree in memory before this transaction). json_set creates missing parent objects.
    private const string SetStateValueSql = """
        INSERT INTO state_tree (id, document) VALUES (1, json_set('{}', @path, json(@value)))
        ON CONFLICT (id) DO UPDATE SET document = json_set(document, @path, json(@value));
        """;

    private const string SelectByIdSql = $"SELECT {ExecutionRow.Columns} FROM executions WHERE id = @id;";

    private const string SelectActiveSql = """
        SELECT id, script_name, instance_name, state, pid, proc_start_time, boot_id, start_timestamp FROM executions INDEXED BY ix_executions_state
        WHERE state IN ('running', 'terminating') ORDER BY id;
        """;

    // One MAX seek per instance inside a single statement, then the rows by id.
    private const string SelectLastOfInstancesSql = $"""
        SELECT {ExecutionRow.Columns} FROM executions
        WHERE id IN (
            SELECT (SELECT MAX(id) FROM executions INDEXED BY ix_executions_instance
                    WHERE script_name = json_extract(j.value, '$[0]') AND instance_name = json_extract(j.value, '$[1]'))
            FROM json_each(@pairsJson) j);
        """;

    private readonly SqliteDatabase _db;

    public ExecutionStore(SqliteDatabase db)
    {
        _db = db;
        Starts = new StartSequence(db.ReadConsistent(LastId));
    }

    // A method, not a lambda: Dapper.AOT skips a call whose generic argument is inferred through a lambda's return
    // (it was left to Dapper's ref-emit, which the native build cannot run), with no diagnostic to say so.
    private static long LastId(SqliteConnection connection) => connection.ExecuteScalar<long>(LastIdSql);

    /// <summary>The ids of new executions, in the order their start records commit.</summary>
    public StartSequence Starts { get; }

    /// <summary>Records a start (state running) with the next id and returns it.</summary>
    public async Task<long> InsertStartedAsync(NewExecution execution, CancellationToken cancellationToken, Action? committed = null)
    {
        using var ticket = Starts.Take();
        await InsertStartedAsync(ticket, execution, null, cancellationToken, committed);
        return ticket.Id;
    }

    /// <summary>
    /// Records the start of <paramref name="ticket"/>'s execution (state running), with the process that runs it when
    /// it already exists. Commits after every earlier ticket settled; settles this one whether it commits or not.
    /// </summary>
    public async Task InsertStartedAsync(
        StartTicket ticket, NewExecution execution, StartedProcess? process, CancellationToken cancellationToken, Action? committed = null)
    {
        try
        {
            await ticket.Predecessor.WaitAsync(cancellationToken);
            await _db.WriteAsync(
                (c, _) => _db.ExecuteOnWriter(c, InsertSql, (ticket.Id, execution, process), BindInsert),
                cancellationToken,
                committed is null ? null : _ => committed());
        }
        finally
        {
            ticket.Dispose();
        }
    }

    /// <summary>Records which process runs the execution, and enough to recognise it after a daemon crash.</summary>
    /// <remarks>This and the terminating and end records are essential writes: tried even on a full disk.</remarks>
    public Task SetProcessAsync(long id, int pid, long procStartTime, string? bootId, CancellationToken cancellationToken) =>
        _db.WriteAsync((c, t) => c.Execute(SetProcessSql, new { id, pid, procStartTime, bootId }, t), cancellationToken, kind: WriteKind.Essential);

    /// <summary>Moves a running execution to terminating with its stop trigger. False when it was not running.</summary>
    public Task<bool> MarkTerminatingAsync(long id, Trigger stopTrigger, CancellationToken cancellationToken, Action? committed = null) =>
        _db.WriteAsync((c, t) => c.Execute(MarkTerminatingSql, new
        {
            Id = id,
            Type = stopTrigger.Type.ToStored(),
            stopTrigger.Setting,
            stopTrigger.Username,
        }, t) > 0, cancellationToken, changed =>
        {
            if (changed)
            {
                committed?.Invoke();
            }
        }, WriteKind.Essential);

    /// <summary>
    /// Records the end. <paramref name="committing"/> runs inside the transaction just before its commit, so
    /// in-memory state that must change no later than readers can see the end (the instance's reservation) does.
    /// <paramref name="outcome"/>, the run's outcome in the state tree, is written in the same transaction.
    /// </summary>
    public Task FinishAsync(
        long id,
        ExecutionEnd end,
        CancellationToken cancellationToken,
        Action? committed = null,
        Action? committing = null,
        StateTreeWrite? outcome = null) =>
        _db.WriteAsync(
            (c, t) =>
            {
                var changed = _db.ExecuteOnWriter(c, FinishSql, (id, end), BindFinish);
                if (outcome is not null)
                {
                    _db.ExecuteOnWriter(c, SetStateValueSql, outcome, static (s, o) =>
                    {
                        s.Bind("@path", o.JsonPath);
                        s.Bind("@value", o.ValueJson);
                    });
                }

                committing?.Invoke();
                return changed;
            },
            cancellationToken,
            committed is null ? null : _ => committed(),
            WriteKind.Essential);

    /// <summary>Blocking variant for the recovery pass at start-up.</summary>
    public void Finish(long id, ExecutionEnd end) =>
        _db.Write((c, _) => _db.ExecuteOnWriter(c, FinishSql, (id, end), BindFinish), WriteKind.Essential);

    public Execution? Get(long id)
    {
        using var connection = _db.OpenRead();
        return connection.QuerySingleOrDefault<ExecutionRow>(SelectByIdSql, new { id })?.ToExecution();
    }

    /// <summary>script_execution_get: filters first, then the keyset page; always sorted by id descending.</summary>
    public IReadOnlyList<Execution> Query(ExecutionFilter filter, Pagination page)
    {
        var query = ExecutionQuery.Build(filter, page);
        if (query.IsEmpty)
        {
            return [];
        }

        // The SQL text depends on the filter's shape only, so a repeated query finds its statement compiled.
        var rows = _db.ReadPrepared(
            query.Sql,
            query,
            static (statement, q) => q.Parameters.BindTo(statement),
            static (statement, q) =>
            {
                var rows = new List<Execution>(q.PageSize);
                while (statement.Step())
                {
                    rows.Add(ExecutionRow.Read(statement).ToExecution());
                }

                return rows;
            });

        if (page.Ascending)
        {
            rows.Reverse();
        }

        return rows;
    }

    /// <summary>Executions a previous daemon left running or terminating.</summary>
    public IReadOnlyList<ActiveExecution> ListActive()
    {
        using var connection = _db.OpenRead();
        return [.. connection.Query<ActiveRow>(SelectActiveSql)
            .Select(r => new ActiveExecution(
                r.Id, r.ScriptName, r.InstanceName, StoreMapping.ParseState(r.State), (int?)r.Pid, r.ProcStartTime, r.BootId, r.StartTimestamp))];
    }

    /// <summary>The newest execution of each given instance that has one: an index seek per instance, one statement.</summary>
    public IReadOnlyDictionary<(string Script, string Instance), Execution> LastOf(IEnumerable<(string Script, string Instance)> instances)
    {
        var pairs = instances.Select(i => new[] { i.Script, i.Instance }).ToArray();
        if (pairs.Length == 0)
        {
            return new Dictionary<(string, string), Execution>();
        }

        using var connection = _db.OpenRead();
        // Typed, not var: source generators do not see each other's output, so to Dapper.AOT StoreJson.Default has no type.
        string pairsJson = System.Text.Json.JsonSerializer.Serialize(pairs, StoreJson.Default.StringArrayArray);
        return connection.Query<ExecutionRow>(SelectLastOfInstancesSql, new { pairsJson })
            .Select(r => r.ToExecution())
            .ToDictionary(e => (e.ScriptName, e.InstanceName));
    }

    private static void BindInsert(PreparedStatement s, (long Id, NewExecution Execution, StartedProcess? Process) v)
    {
        s.Bind("@Id", v.Id);
        s.Bind("@ScriptName", v.Execution.ScriptName);
        s.Bind("@InstanceName", v.Execution.InstanceName);
        s.Bind("@ScriptVersion", v.Execution.ScriptVersion);
        s.Bind("@StartTimestamp", v.Execution.StartTimestamp);
        s.Bind("@TriggerType", v.Execution.StartTrigger.Type.ToStored());
        s.Bind("@TriggerSetting", v.Execution.StartTrigger.Setting);
        s.Bind("@TriggerUsername", v.Execution.StartTrigger.Username);
        s.Bind("@Arguments", v.Execution.Arguments);
        s.Bind("@Pid", v.Process?.Pid);
        s.Bind("@ProcStartTime", v.Process?.ProcStartTime);
        s.Bind("@BootId", v.Process?.BootId);
    }

    private static void BindFinish(PreparedStatement s, (long Id, ExecutionEnd End) v)
    {
        var end = v.End;
        s.Bind("@Id", v.Id);
        s.Bind("@State", end.State.ToWire());
        s.Bind("@ExitCode", end.ExitCode);
        s.Bind("@DurationMs", end.DurationMs);
        s.Bind("@StopType", end.StopTrigger?.Type.ToStored());
        s.Bind("@StopSetting", end.StopTrigger?.Setting);
        s.Bind("@StopUsername", end.StopTrigger?.Username);
        s.Bind("@OutputTruncated", end.OutputTruncated ? 1 : 0);
        s.Bind("@EndTimestamp", end.EndTimestamp);
        s.Bind("@OutputBytes", end.OutputBytes);
        s.Bind("@OutputDroppedLines", end.OutputDroppedLines);
    }

    internal sealed record ActiveRow(
        long Id, string ScriptName, string InstanceName, string State, long? Pid, long? ProcStartTime, string? BootId, long StartTimestamp);
}
