using System.Diagnostics;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using ScriptExec.Store;

namespace ScriptExec.Benchmarks;

/// <summary>
/// script_execution_get latency over the Unix socket, on a large and a small store, each call shape next to the same
/// SQL run in-process (ExecutionQuery.Build, executed with Dapper on a separate connection to the same file).
/// Stores, shapes and paths are interleaved in rounds, so background noise falls on all of them alike.
/// </summary>
internal static class QueryLatency
{
    private const int CallsPerRound = 50;

    public sealed record Store(string Label, int Rows, DaemonProcess Daemon);

    public static async Task<JsonObject> RunAsync(
        Store large, Store small, BenchOptions options, Report report, CancellationToken cancellationToken)
    {
        // The raw baseline maps rows with plain Dapper (reflection), which needs to be told about snake_case columns.
        Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
        var targets = new List<Target>();
        try
        {
            foreach (var store in new[] { large, small })
            {
                var client = await store.Daemon.ConnectAsync(cancellationToken);
                var raw = new SqliteConnection(new SqliteConnectionStringBuilder
                {
                    DataSource = store.Daemon.DatabasePath,
                    Mode = SqliteOpenMode.ReadWrite,
                    Pooling = false,
                }.ToString());
                raw.Open();
                targets.AddRange(QueryShape.For(store.Rows).Select(shape => new Target(store, shape, client, raw)));
            }

            var result = new JsonObject();
            foreach (var target in targets)
            {
                await target.ValidateAsync(cancellationToken);
            }

            Progress.Say($"  warm-up: {options.QueryWarmup} calls per shape, store and path");
            foreach (var target in targets)
            {
                await target.MeasureAsync(options.QueryWarmup, record: false, cancellationToken);
            }

            var rounds = Math.Max(1, options.QueryIterations / CallsPerRound);
            Progress.Say($"  measuring: {rounds} rounds × {CallsPerRound} calls per shape, store and path");
            for (var round = 0; round < rounds; round++)
            {
                foreach (var target in targets)
                {
                    await target.MeasureAsync(CallsPerRound, record: true, cancellationToken);
                }
            }

            var worst = targets.Where(t => t.Store == large).MaxBy(t => t.Rpc.P99)!;
            report.Add(Check.AtMost("script_execution_get.p99_worst_shape", worst.Rpc.P99, "ms", 1.0, $"raw query p99 ({large.Label}, {worst.Shape.Name})",
                worst.RawSql.P99) with { Note = $"the highest p99 of the {targets.Count(t => t.Store == large)} shapes on the {large.Label} store: {worst.Shape.Name}" });
            foreach (var shape in QueryShape.For(large.Rows))
            {
                var l = targets.Single(t => t.Store == large && t.Shape.Name == shape.Name);
                var s = targets.Single(t => t.Store == small && t.Shape.Name == shape.Name);
                result[shape.Name] = new JsonObject
                {
                    ["description"] = shape.Description,
                    [large.Label] = l.ToJson(),
                    [small.Label] = s.ToJson(),
                };
                var figure = "script_execution_get." + shape.Name;
                report.Add(Check.AtMost(figure + ".p99", l.Rpc.P99, "ms", 1.0, $"raw query p99 ({large.Label})", l.RawSql.P99));
                report.Add(Check.RatioAtMost(figure + ".p50_scaling", l.Rpc.P50, "ms", $"p50 on the {small.Label} store", s.Rpc.P50, 1.3));
                report.Add(Check.RatioAtMost(figure + ".p50_vs_raw_query", l.Rpc.P50, "ms", $"raw query p50 ({large.Label})", l.RawSql.P50, 5.0));
            }

            return result;
        }
        finally
        {
            foreach (var client in targets.Select(t => t.Client).Distinct())
            {
                await client.DisposeAsync();
            }

            foreach (var raw in targets.Select(t => t.Raw).Distinct())
            {
                await raw.DisposeAsync();
            }
        }
    }

    /// <summary>One shape on one store: its RPC samples and its raw-SQL samples.</summary>
    private sealed class Target(Store store, QueryShape shape, RpcClient client, SqliteConnection raw)
    {
        private readonly ExecutionQuery _query = ExecutionQuery.Build(shape.Filter, shape.Page);
        private int _rows = -1;
        private bool _sameIds;

        public Store Store { get; } = store;

        public QueryShape Shape { get; } = shape;

        public RpcClient Client { get; } = client;

        public SqliteConnection Raw { get; } = raw;

        public Samples Rpc { get; } = new();

        public Samples RawSql { get; } = new();

        /// <summary>The RPC answer and the raw query select the same ids (the raw rows come in selection order).</summary>
        public async Task ValidateAsync(CancellationToken cancellationToken)
        {
            var line = await Client.CallLineAsync("script_execution_get", Shape.ParamsJson, cancellationToken);
            var rpcIds = RpcClient.ParseResult(line).GetProperty("executions").EnumerateArray()
                .Select(e => e.GetProperty("id").GetInt64()).ToList();
            var rawIds = RunRaw().Select(r => r.Id).OrderDescending().ToList();
            _rows = rpcIds.Count;
            _sameIds = rpcIds.SequenceEqual(rawIds);
            if (!_sameIds)
            {
                Progress.Say($"  WARNING {Store.Label}/{Shape.Name}: RPC returned {rpcIds.Count} ids, raw SQL {rawIds.Count}, and they differ");
            }
        }

        public async Task MeasureAsync(int calls, bool record, CancellationToken cancellationToken)
        {
            for (var i = 0; i < calls; i++)
            {
                var started = Stopwatch.GetTimestamp();
                var line = await Client.CallLineAsync("script_execution_get", Shape.ParamsJson, cancellationToken);
                if (record)
                {
                    Rpc.AddSince(started);
                }

                if (line.Length < 20)
                {
                    throw new InvalidDataException("script_execution_get returned a truncated line: " + System.Text.Encoding.UTF8.GetString(line));
                }
            }

            for (var i = 0; i < calls; i++)
            {
                var started = Stopwatch.GetTimestamp();
                var rows = RunRaw();
                if (record)
                {
                    RawSql.AddSince(started);
                }

                GC.KeepAlive(rows);
            }
        }

        public JsonObject ToJson() => new()
        {
            ["rows_returned"] = _rows,
            ["rpc_matches_raw_query"] = _sameIds,
            ["rpc_unix_socket"] = Rpc.ToJson(),
            ["raw_query_in_process"] = RawSql.ToJson(),
        };

        private List<ExecutionRow> RunRaw() => Raw.Query<ExecutionRow>(_query.Sql, _query.Parameters).AsList();
    }
}
