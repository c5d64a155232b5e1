using System.Collections.Concurrent;
using System.Threading.Channels;
using Dapper;
using Microsoft.Data.Sqlite;
using ScriptExec.Core;

namespace ScriptExec.Store;

/// <summary>
/// Captured output lines. Writers enqueue; one background loop commits them in batches, so a chatty script costs
/// one transaction per batch rather than per line. The queue is bounded: when the disk falls that far behind,
/// appends wait (and so, through its full socket buffer, does the script) instead of memory growing.
/// </summary>
public sealed class OutputStore : IAsyncDisposable
{
    public const int QueueCapacity = 32 * 1024;
    private const int MaxBatch = 8192;

    private const string InsertSql = """
        INSERT INTO output_lines (execution_id, line_id, stream, timestamp_ms, content)
        VALUES ($execution, $line, $stream, $ts, $content);
        """;

    private const string SelectSql = """
        SELECT line_id AS id, content, stream, timestamp_ms FROM output_lines
        WHERE execution_id = @executionId AND line_id > @after
        ORDER BY line_id LIMIT @limit;
        """;

    private const string SelectStreamSql = """
        SELECT line_id AS id, content, stream, timestamp_ms FROM output_lines
        WHERE execution_id = @executionId AND line_id > @after AND stream = @stream
        ORDER BY line_id LIMIT @limit;
        """;

    private readonly SqliteDatabase _db;
    private readonly Channel<Pending> _queue = Channel.CreateBounded<Pending>(
        new BoundedChannelOptions(QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly Task _writerLoop;

    // Lines the store refused, per execution still running; taken when its end is recorded.
    private readonly ConcurrentDictionary<long, LostOutput> _lost = new();

    public OutputStore(SqliteDatabase db)
    {
        _db = db;
        _writerLoop = Task.Run(WriteLoopAsync);
    }

    /// <summary>Queues a line for <paramref name="executionId"/>; waits only when the queue is full.</summary>
    public ValueTask AppendAsync(long executionId, OutputLine line, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _pending);
        return _queue.Writer.WriteAsync(new Pending(executionId, line, null), cancellationToken);
    }

    private long _pending;

    /// <summary>Completes once every line queued before this call is committed.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        // Nothing queued and not yet committed (a silent script): no round trip through the writer.
        if (Interlocked.Read(ref _pending) == 0)
        {
            return;
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _queue.Writer.WriteAsync(new Pending(0, null, done), cancellationToken);
        await done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// The lines of <paramref name="executionId"/> the store refused so far, and forgets them: call after the final
    /// <see cref="FlushAsync"/> of the execution.
    /// </summary>
    public LostOutput TakeLost(long executionId) => _lost.TryRemove(executionId, out var lost) ? lost : default;

    /// <summary>Lines of an execution after <paramref name="afterId"/>, ascending; optionally one stream only.</summary>
    public IReadOnlyList<OutputLine> Read(long executionId, long afterId, int limit, OutputStreamKind? stream = null)
    {
        using var connection = _db.OpenRead();
        var rows = stream is { } s
            ? connection.Query<LineRow>(SelectStreamSql, new { executionId, after = afterId, limit, stream = (int)s })
            : connection.Query<LineRow>(SelectSql, new { executionId, after = afterId, limit });
        return [.. rows.Select(r => new OutputLine(r.Id, r.Content, (OutputStreamKind)r.Stream, r.TimestampMs))];
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writerLoop;
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            try
            {
                await _db.WriteAsync((c, t) => InsertBatch(c, t, batch), CancellationToken.None, kind: WriteKind.Output);
            }
            catch (Exception e) when (e is SqliteException || ScriptExecException.IsUnavailable(e))
            {
                // A failed batch (disk full, I/O error) must not stop capture for good; the next batch tries again.
                // The lines are lost, and counted, so their execution never claims its output is complete.
                CountLost(batch);
            }

            // Counted as done whether committed or lost to a failed batch, so a flush never waits forever.
            Interlocked.Add(ref _pending, -batch.Count(i => i.Line is not null));
            foreach (var item in batch)
            {
                item.Flushed?.TrySetResult();
            }

            batch.Clear();
        }
    }

    private void CountLost(List<Pending> batch)
    {
        long lines = 0;
        foreach (var item in batch)
        {
            if (item.Line is { } line)
            {
                lines++;
                var bytes = System.Text.Encoding.UTF8.GetByteCount(line.Content);
                _lost.AddOrUpdate(item.ExecutionId, _ => new LostOutput(1, bytes), (_, l) => new LostOutput(l.Lines + 1, l.Bytes + bytes));
            }
        }

        if (lines > 0)
        {
            _db.Availability.OutputLinesLost(lines);
        }
    }

    private static int InsertBatch(SqliteConnection connection, SqliteTransaction transaction, List<Pending> batch)
    {
        // The hot path of output capture: one prepared command re-bound per line (Dapper would rebuild
        // its parameter set per row).
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = InsertSql;
        var execution = command.Parameters.Add("$execution", SqliteType.Integer);
        var line = command.Parameters.Add("$line", SqliteType.Integer);
        var stream = command.Parameters.Add("$stream", SqliteType.Integer);
        var ts = command.Parameters.Add("$ts", SqliteType.Integer);
        var content = command.Parameters.Add("$content", SqliteType.Text);
        command.Prepare();
        var written = 0;
        foreach (var item in batch)
        {
            if (item.Line is not { } l)
            {
                continue;
            }

            execution.Value = item.ExecutionId;
            line.Value = l.Id;
            stream.Value = (int)l.Stream;
            ts.Value = l.TimestampMs;
            content.Value = l.Content;
            command.ExecuteNonQuery();
            written++;
        }

        return written;
    }

    private readonly record struct Pending(long ExecutionId, OutputLine? Line, TaskCompletionSource? Flushed);

    internal sealed record LineRow(long Id, string Content, long Stream, long TimestampMs);
}

/// <summary>Captured lines of one execution the store refused: how many, and their UTF-8 bytes.</summary>
public readonly record struct LostOutput(long Lines, long Bytes);
