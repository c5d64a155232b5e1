using System.Globalization;
using System.Text;
using System.Text.Json;
using ScriptExec.Core;

namespace ScriptExec.Store;

/// <summary>
/// Turns a <see cref="ExecutionFilter"/> and <see cref="Pagination"/> into SQL whose every branch is a keyset seek.
/// </summary>
/// <remarks>
/// SQLite cannot walk several index ranges in id order at once, and with <c>IN</c> lists on an indexed column it
/// either scans the table in id order (slow for rare values) or collects all matches and sorts them (slow for
/// common values). So the query is split on one "driving" filter dimension — instances, else exit codes, else
/// states — into one branch per value, each pinned with <c>INDEXED BY</c> to an index ending in <c>id</c>, each
/// limited to the page size; the union of at most branches × page rows is sorted once. The other filters are
/// residual conditions inside every branch. The SQL text depends only on which filters are present and how many
/// branches there are, never on values (all values are parameters), so the statement cache stays small.
/// </remarks>
internal sealed class ExecutionQuery
{
    /// <summary>More branches than this and the driving dimension becomes a residual condition instead.</summary>
    public const int MaxBranches = 64;

    private ExecutionQuery(string sql, QueryParameters parameters, bool empty, int pageSize = 0)
    {
        Sql = sql;
        Parameters = parameters;
        IsEmpty = empty;
        PageSize = pageSize;
    }

    public string Sql { get; }

    public QueryParameters Parameters { get; }

    /// <summary>True when the filter can match nothing (an empty list); no SQL needs to run.</summary>
    public bool IsEmpty { get; }

    /// <summary>The most rows the query returns.</summary>
    public int PageSize { get; }

    public static ExecutionQuery Build(ExecutionFilter filter, Pagination page)
    {
        var parameters = new QueryParameters();
        var residual = new StringBuilder();
        var instances = NormalizeInstances(filter.Instances);
        var exitCodes = filter.ExitCodes?.Distinct().ToArray();
        var states = filter.States?.Distinct().ToArray();

        if (instances is { Count: 0 } || exitCodes is { Length: 0 } || states is { Length: 0 }
            || filter.TriggerTypes is { Count: 0 } || filter.Usernames is { Count: 0 })
        {
            return new ExecutionQuery(string.Empty, parameters, empty: true);
        }

        var branches = new List<(string Index, string Condition)>();
        if (instances is not null && CountBranches(instances) <= MaxBranches)
        {
            for (var i = 0; i < instances.Count; i++)
            {
                var (script, names) = instances[i];
                parameters.Add($"s{i}", script);
                if (names is null)
                {
                    branches.Add(("ix_executions_script", $"script_name = @s{i}"));
                    continue;
                }

                for (var j = 0; j < names.Count; j++)
                {
                    parameters.Add($"i{i}_{j}", names[j]);
                    branches.Add(("ix_executions_instance", $"script_name = @s{i} AND instance_name = @i{i}_{j}"));
                }
            }

            instances = null;
        }
        else if (exitCodes is not null && exitCodes.Length <= MaxBranches)
        {
            for (var i = 0; i < exitCodes.Length; i++)
            {
                parameters.Add($"c{i}", exitCodes[i]);
                branches.Add(("ix_executions_exit_code", $"exit_code = @c{i}"));
            }

            exitCodes = null;
        }
        else if (states is not null)
        {
            for (var i = 0; i < states.Length; i++)
            {
                parameters.Add($"st{i}", states[i].ToWire());
                branches.Add(("ix_executions_state", $"state = @st{i}"));
            }

            states = null;
        }

        AppendResiduals(residual, parameters, filter, instances, exitCodes, states);
        if (page.IdExclusive is { } reference)
        {
            parameters.Add("ref", reference);
            residual.Append(page.Ascending ? " AND id > @ref" : " AND id < @ref");
        }

        parameters.Add("count", page.Count);
        var order = page.Ascending ? "ASC" : "DESC";
        var sql = new StringBuilder();
        if (branches.Count == 0)
        {
            sql.Append(CultureInfo.InvariantCulture, $"SELECT {ExecutionRow.Columns} FROM executions WHERE 1 = 1{residual} ORDER BY id {order} LIMIT @count;");
        }
        else if (branches.Count == 1)
        {
            AppendBranch(sql, branches[0], residual, order);
            sql.Append(';');
        }
        else
        {
            for (var i = 0; i < branches.Count; i++)
            {
                sql.Append(i == 0 ? "SELECT * FROM (" : " UNION ALL SELECT * FROM (");
                AppendBranch(sql, branches[i], residual, order);
                sql.Append(')');
            }

            sql.Append(CultureInfo.InvariantCulture, $" ORDER BY id {order} LIMIT @count;");
        }

        return new ExecutionQuery(sql.ToString(), parameters, empty: false, page.Count);
    }

    private static void AppendBranch(StringBuilder sql, (string Index, string Condition) branch, StringBuilder residual, string order) =>
        sql.Append(CultureInfo.InvariantCulture,
            $"SELECT {ExecutionRow.Columns} FROM executions INDEXED BY {branch.Index} WHERE {branch.Condition}{residual} ORDER BY id {order} LIMIT @count");

    private static void AppendResiduals(
        StringBuilder residual,
        QueryParameters parameters,
        ExecutionFilter filter,
        IReadOnlyList<(string Script, IReadOnlyList<string>? Names)>? instances,
        int[]? exitCodes,
        ExecutionState[]? states)
    {
        if (!filter.IncludeOutdated)
        {
            residual.Append(" AND outdated = 0");
        }

        if (instances is not null)
        {
            // Too many to branch on: a residual test against a JSON list of [script, instance-or-null] pairs.
            var pairs = instances
                .SelectMany(i => i.Names is null ? [new[] { i.Script }] : i.Names.Select(n => new[] { i.Script, n }))
                .ToArray();
            parameters.Add("instances", JsonSerializer.Serialize(pairs, StoreJson.Default.StringArrayArray));
            residual.Append("""
                 AND EXISTS (SELECT 1 FROM json_each(@instances) j
                             WHERE json_extract(j.value, '$[0]') = script_name
                               AND (json_array_length(j.value) = 1 OR json_extract(j.value, '$[1]') = instance_name))
                """);
        }

        if (exitCodes is not null)
        {
            parameters.Add("exitCodes", JsonSerializer.Serialize(exitCodes, StoreJson.Default.Int32Array));
            residual.Append(" AND exit_code IN (SELECT value FROM json_each(@exitCodes))");
        }

        if (states is not null)
        {
            parameters.Add("states", JsonSerializer.Serialize(states.Select(s => s.ToWire()).ToArray(), StoreJson.Default.StringArray));
            residual.Append(" AND state IN (SELECT value FROM json_each(@states))");
        }

        if (filter.StartAfter is { } after)
        {
            parameters.Add("startAfter", after);
            residual.Append(" AND start_timestamp >= @startAfter");
        }

        if (filter.StartBefore is { } before)
        {
            parameters.Add("startBefore", before);
            residual.Append(" AND start_timestamp < @startBefore");
        }

        if (filter.TriggerTypes is { } types)
        {
            parameters.Add("triggerTypes", JsonSerializer.Serialize(types.Distinct().Select(t => t.ToStored()).ToArray(), StoreJson.Default.StringArray));
            residual.Append(" AND start_trigger_type IN (SELECT value FROM json_each(@triggerTypes))");
        }

        if (filter.Usernames is { } users)
        {
            parameters.Add("usernames", JsonSerializer.Serialize(users.Distinct().ToArray(), StoreJson.Default.StringArray));
            residual.Append(" AND start_trigger_username IN (SELECT value FROM json_each(@usernames))");
        }
    }

    /// <summary>Merges duplicate scripts and drops instance lists a whole-script entry already covers, so no row is selected twice.</summary>
    private static List<(string Script, IReadOnlyList<string>? Names)>? NormalizeInstances(IReadOnlyList<InstanceSelector>? selectors)
    {
        if (selectors is null)
        {
            return null;
        }

        var result = new List<(string, IReadOnlyList<string>?)>();
        foreach (var group in selectors.GroupBy(s => s.ScriptName, StringComparer.Ordinal))
        {
            result.Add(group.Any(s => s.InstanceNames is null)
                ? (group.Key, null)
                : (group.Key, group.SelectMany(s => s.InstanceNames!).Distinct(StringComparer.Ordinal).ToArray()));
        }

        // A script entry whose instance list is empty selects nothing; keep it out of the branches.
        result.RemoveAll(r => r.Item2 is { Count: 0 });
        return result;
    }

    private static int CountBranches(List<(string Script, IReadOnlyList<string>? Names)> instances) =>
        instances.Sum(i => i.Names?.Count ?? 1);
}
