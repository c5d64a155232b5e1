using System.Text.Json;
using Dapper;
using ScriptExec.Core;

namespace ScriptExec.Store;

public sealed partial class ExecutionStore
{
    private const string AggregateSql = """
        SELECT
            COALESCE(SUM(state = 'running'), 0)                                   AS running,
            COALESCE(SUM(state = 'terminating'), 0)                               AS terminating,
            COALESCE(SUM(state = 'finished'), 0)                                  AS finished,
            COALESCE(SUM(state = 'killed'), 0)                                    AS killed,
            COALESCE(SUM(state = 'finished' AND exit_code = 0), 0)                AS finished_exit_zero,
            COALESCE(SUM(state = 'finished' AND exit_code <> 0), 0)               AS finished_exit_non_zero,
            COUNT(CASE WHEN state = 'finished' THEN duration_ms END)             AS duration_count,
            COALESCE(AVG(CASE WHEN state = 'finished' THEN duration_ms END), 0.0) AS duration_average_ms,
            MIN(CASE WHEN state = 'finished' THEN duration_ms END)               AS duration_min_ms,
            MAX(CASE WHEN state = 'finished' THEN duration_ms END)               AS duration_max_ms
        FROM executions
        """;

    private const string InstancesPredicate = """
         WHERE EXISTS (SELECT 1 FROM json_each(@instancesJson) j
                       WHERE json_extract(j.value, '$[0]') = script_name
                         AND (json_array_length(j.value) = 1 OR json_extract(j.value, '$[1]') = instance_name))
        """;

    private const string AggregateOfInstancesSql = AggregateSql + InstancesPredicate + ";";

    private const string DistinctInstancesSql =
        "SELECT DISTINCT script_name, instance_name FROM executions WHERE (@all OR outdated = 0) ORDER BY script_name, instance_name;";

    private const string DistinctExitCodesSql =
        "SELECT DISTINCT exit_code FROM executions WHERE exit_code IS NOT NULL AND (@all OR outdated = 0) ORDER BY exit_code;";

    private const string DistinctStatesSql =
        "SELECT DISTINCT state FROM executions WHERE (@all OR outdated = 0);";

    private const string DistinctTriggerTypesSql =
        "SELECT DISTINCT start_trigger_type FROM executions WHERE (@all OR outdated = 0);";

    private const string DistinctUsernamesSql = """
        SELECT DISTINCT start_trigger_username FROM executions
        WHERE start_trigger_username IS NOT NULL AND (@all OR outdated = 0) ORDER BY start_trigger_username;
        """;

    /// <summary>Counts over all executions, read so that no transition commits meanwhile (see <see cref="SqliteDatabase.ReadConsistent{T}"/>).</summary>
    public ExecutionCounts AggregateConsistent() => _db.ReadConsistent(c => c.QuerySingle<CountsRow>(AggregateSql + ";").ToCounts());

    /// <summary>Counts over all executions, or over those of the selected instances.</summary>
    public ExecutionCounts Aggregate(IReadOnlyList<InstanceSelector>? instances = null)
    {
        using var connection = _db.OpenRead();
        if (instances is null)
        {
            return connection.QuerySingle<CountsRow>(AggregateSql + ";").ToCounts();
        }

        var pairs = instances
            .SelectMany(i => i.InstanceNames is null ? [new[] { i.ScriptName }] : i.InstanceNames.Select(n => new[] { i.ScriptName, n }))
            .ToArray();
        // Typed, not var: source generators do not see each other's output, so to Dapper.AOT StoreJson.Default has no type.
        string instancesJson = JsonSerializer.Serialize(pairs, StoreJson.Default.StringArrayArray);
        return connection.QuerySingle<CountsRow>(AggregateOfInstancesSql, new { instancesJson }).ToCounts();
    }

    public ExecutionFilterOptions FilterOptions(bool includeOutdated)
    {
        using var connection = _db.OpenRead();
        var args = new { all = includeOutdated };
        var instances = connection.Query<InstanceKeyRow>(DistinctInstancesSql, args)
            .GroupBy(r => r.ScriptName)
            .Select(g => new InstanceSelector(g.Key, [.. g.Select(r => r.InstanceName)]))
            .ToList();
        var exitCodes = connection.Query<int>(DistinctExitCodesSql, args).ToList();
        var states = connection.Query<string>(DistinctStatesSql, args).Select(StoreMapping.ParseState).Order().ToList();
        var triggers = connection.Query<string>(DistinctTriggerTypesSql, args).Select(StoreMapping.ParseTrigger).Order().ToList();
        var users = connection.Query<string>(DistinctUsernamesSql, args).ToList();
        return new ExecutionFilterOptions(instances, exitCodes, states, triggers, users);
    }

    internal sealed class CountsRow
    {
        public long Running { get; init; }

        public long Terminating { get; init; }

        public long Finished { get; init; }

        public long Killed { get; init; }

        public long FinishedExitZero { get; init; }

        public long FinishedExitNonZero { get; init; }

        public long DurationCount { get; init; }

        public double DurationAverageMs { get; init; }

        public long? DurationMinMs { get; init; }

        public long? DurationMaxMs { get; init; }

        public ExecutionCounts ToCounts() => new(
            Running, Terminating, Finished, Killed, FinishedExitZero, FinishedExitNonZero,
            DurationCount, DurationAverageMs, DurationMinMs, DurationMaxMs);
    }
}
