using Dapper;

namespace ScriptExec.Store;

/// <summary>What one pruning pass removed.</summary>
public sealed record PruneResult(long Executions, long OutputLines)
{
    public static readonly PruneResult None = new(0, 0);

    public PruneResult Add(PruneResult other) => new(Executions + other.Executions, OutputLines + other.OutputLines);
}

/// <summary>
/// Deletes the oldest ended executions with their output, in small transactions so queries (other connections,
/// WAL) and the supervisor's writes interleave with a long prune instead of waiting for it. Running and
/// terminating executions are never pruned.
/// </summary>
public sealed class RetentionStore
{
    private const int Batch = 500;

    private const string CountSql = "SELECT COUNT(*) FROM executions;";

    private const string OutputBytesSql = "SELECT COALESCE(SUM(output_bytes), 0) FROM executions;";

    private const string OldestEndedSql = """
        SELECT id, output_bytes FROM executions
        WHERE state IN ('finished', 'killed') ORDER BY id LIMIT @limit;
        """;

    private const string OldestEndedBeforeSql = """
        SELECT id, output_bytes FROM executions
        WHERE state IN ('finished', 'killed') AND start_timestamp < @cutoff ORDER BY id LIMIT @limit;
        """;

    // Returns each chunk's line count: what a prune removed is counted in lines, as before chunks.
    private const string DeleteChunksSql = "DELETE FROM output_chunks WHERE execution_id = @id RETURNING line_count;";

    private const string DeleteExecutionSql = "DELETE FROM executions WHERE id = @id AND state IN ('finished', 'killed');";

    private readonly SqliteDatabase _db;

    public RetentionStore(SqliteDatabase db)
    {
        _db = db;
    }

    /// <summary>Prunes until at most <paramref name="maxExecutions"/> remain (or no ended one is left).</summary>
    public async Task<PruneResult> PruneToCountAsync(long maxExecutions, CancellationToken cancellationToken)
    {
        var total = PruneResult.None;
        while (true)
        {
            var excess = Scalar(CountSql) - maxExecutions;
            if (excess <= 0)
            {
                return total;
            }

            var pruned = await DeleteAsync(OldestEnded(Math.Min(excess, Batch)), cancellationToken);
            if (pruned.Executions == 0)
            {
                return total;
            }

            total = total.Add(pruned);
        }
    }

    /// <summary>Prunes ended executions that started before <paramref name="cutoffTimestamp"/> (Unix seconds).</summary>
    public async Task<PruneResult> PruneOlderThanAsync(long cutoffTimestamp, CancellationToken cancellationToken)
    {
        var total = PruneResult.None;
        while (true)
        {
            var pruned = await DeleteAsync(OldestEndedBefore(cutoffTimestamp, Batch), cancellationToken);
            if (pruned.Executions == 0)
            {
                return total;
            }

            total = total.Add(pruned);
        }
    }

    /// <summary>Prunes the oldest ended executions until their stored output totals at most <paramref name="maxBytes"/>.</summary>
    public async Task<PruneResult> PruneToOutputBytesAsync(long maxBytes, CancellationToken cancellationToken)
    {
        var total = PruneResult.None;
        var excess = Scalar(OutputBytesSql) - maxBytes;
        while (excess > 0)
        {
            var candidates = OldestEnded(Batch);
            var chosen = new List<PruneCandidate>();
            foreach (var candidate in candidates)
            {
                if (excess <= 0)
                {
                    break;
                }

                chosen.Add(candidate);
                excess -= candidate.OutputBytes;
            }

            if (chosen.Count == 0)
            {
                return total;
            }

            total = total.Add(await DeleteAsync(chosen, cancellationToken));
        }

        return total;
    }

    private List<PruneCandidate> OldestEnded(long limit)
    {
        using var connection = _db.OpenRead();
        return connection.Query<PruneCandidate>(OldestEndedSql, new { limit }).ToList();
    }

    private List<PruneCandidate> OldestEndedBefore(long cutoff, long limit)
    {
        using var connection = _db.OpenRead();
        return connection.Query<PruneCandidate>(OldestEndedBeforeSql, new { cutoff, limit }).ToList();
    }

    private Task<PruneResult> DeleteAsync(IReadOnlyList<PruneCandidate> executions, CancellationToken cancellationToken) =>
        _db.WriteAsync((c, t) =>
        {
            long rows = 0, lines = 0;
            foreach (var id in executions.Select(e => e.Id))
            {
                // The state check in the DELETE guards against a row that changed since it was read.
                var deleted = c.Execute(DeleteExecutionSql, new { id }, t);
                if (deleted > 0)
                {
                    rows += deleted;
                    lines += c.Query<long>(DeleteChunksSql, new { id }, t).Sum();
                }
            }

            return new PruneResult(rows, lines);
        }, cancellationToken);

    private long Scalar(string sql)
    {
        using var connection = _db.OpenRead();
        return connection.ExecuteScalar<long>(sql);
    }

    internal sealed record PruneCandidate(long Id, long OutputBytes);
}
