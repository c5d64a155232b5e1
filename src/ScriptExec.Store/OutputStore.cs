using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using ScriptExec.Core;

namespace ScriptExec.Store;

/// <summary>
/// Captured output lines. Writers enqueue <see cref="OutputBatch"/>es (the lines of one read, already encoded as
/// chunks); one background loop commits them in transactions of many batches, and stores consecutive lines of an
/// execution as chunks (<see cref="OutputChunk"/>): a row per few hundred lines instead of one per line, small
/// batches appended to the chunk under way. The queue is bounded by bytes: when the disk falls
/// <see cref="MaxQueuedBytes"/> behind, appends wait (and so, through its full socket buffer, does the script)
/// instead of memory growing.
/// </summary>
public sealed partial class OutputStore : IAsyncDisposable
{
    /// <summary>
    /// Output queued for the writer at most, counted by the buffers that hold it (a batch's cost is at least
    /// <see cref="OutputBatch.QueueOverheadBytes"/>, so this also bounds the count of tiny batches): enough to keep the
    /// writer busy through a commit while capture reads on.
    /// </summary>
    public const long MaxQueuedBytes = 8 * 1024 * 1024;

    /// <summary>Drops the chunk buffers a flood left for the next one (the daemon's idle trim, before it collects).</summary>
    public static void ReleasePooledBuffers() => ChunkBuffers.Release();

    private const int MaxBatch = 8192;

    /// <summary>
    /// Queued output one transaction takes at most. A commit is all or nothing: when the disk fills, what is lost is
    /// the transaction that did not fit, so a writer that fell behind by the whole queue must not commit all of it at
    /// once and lose up to <see cref="MaxQueuedBytes"/> to a disk that had room for most of it.
    /// </summary>
    internal const long MaxCommitBytes = 1024 * 1024;
    private const int MaxSpareChunks = 4;

    private readonly SqliteDatabase _db;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });

    // Bytes queued and not yet written, and the signal the writer gives (replacing it) each time it took some off.
    private long _queuedBytes;
    private TaskCompletionSource _room = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly Task _writerLoop;

    // The chunk under way per execution within the batch being written; touched by the writer loop only.
    private readonly Dictionary<long, OutputChunkBuilder> _chunks = [];
    private readonly Stack<OutputChunkBuilder> _spareChunks = new();

    // Encoded bytes of the chunks of the batch being written, and of all committed since start (for metrics).
    private long _batchBytes;
    private long _storedBytes;

    // Lines the store refused, per execution still running; taken when its end is recorded.
    private readonly ConcurrentDictionary<long, LostOutput> _lost = new();

    public OutputStore(SqliteDatabase db)
    {
        _db = db;
        _writerLoop = Task.Run(WriteLoopAsync);
    }

    /// <summary>Batches and flushes the writer has taken off its queue since start (for tests).</summary>
    internal long TakenByWriter => Volatile.Read(ref _takenByWriter);

    /// <summary>Bytes of output committed since start, as stored (encoded chunks); counted once per batch.</summary>
    public long StoredBytesTotal => Interlocked.Read(ref _storedBytes);

    /// <summary>Queues a line for <paramref name="executionId"/>; waits only when the queue is full.</summary>
    public ValueTask AppendAsync(long executionId, OutputLine line, CancellationToken cancellationToken = default)
    {
        var batch = new OutputBatch(executionId);
        batch.Add(line);
        return AppendAsync(batch, cancellationToken);
    }

    /// <summary>
    /// Queues <paramref name="batch"/> and takes it over (the store disposes it); completes at once unless
    /// <see cref="MaxQueuedBytes"/> are queued, then when the writer has made room.
    /// </summary>
    public ValueTask AppendAsync(OutputBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.IsEmpty)
        {
            batch.Dispose();
            return default;
        }

        if (Interlocked.Read(ref _queuedBytes) < MaxQueuedBytes)
        {
            Enqueue(batch);
            return default;
        }

        return AppendWhenRoomAsync(batch, cancellationToken);
    }

    private async ValueTask AppendWhenRoomAsync(OutputBatch batch, CancellationToken cancellationToken)
    {
        try
        {
            // The signal is read before the check: the writer lowers the count before it replaces the signal, so
            // a wait can never miss the room it is for.
            var room = Volatile.Read(ref _room);
            while (Interlocked.Read(ref _queuedBytes) >= MaxQueuedBytes)
            {
                await room.Task.WaitAsync(cancellationToken);
                room = Volatile.Read(ref _room);
            }
        }
        catch
        {
            batch.Dispose();
            throw;
        }

        Enqueue(batch);
    }

    private void Enqueue(OutputBatch batch)
    {
        var bytes = batch.QueuedBytes;
        Interlocked.Add(ref _queuedBytes, bytes);
        Interlocked.Increment(ref _pending);
        if (!_queue.Writer.TryWrite(new Pending(batch, bytes, null)))
        {
            // The store is shutting down: nothing will write it.
            Interlocked.Add(ref _queuedBytes, -bytes);
            Interlocked.Decrement(ref _pending);
            batch.Dispose();
        }
    }

    // Batches queued and not yet committed (or lost).
    private long _pending;

    // Written by the writer loop alone.
    private long _takenByWriter;

    /// <summary>Completes once every line queued before this call is committed.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        // Nothing queued and not yet committed (a silent script): no round trip through the writer.
        if (Interlocked.Read(ref _pending) == 0)
        {
            return;
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _queue.Writer.WriteAsync(new Pending(null, 0, done), cancellationToken);
        await done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// The lines of <paramref name="executionId"/> the store refused so far, and forgets them: call after the final
    /// <see cref="FlushAsync"/> of the execution.
    /// </summary>
    public LostOutput TakeLost(long executionId) => _lost.TryRemove(executionId, out var lost) ? lost : default;

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writerLoop;
        while (_spareChunks.TryPop(out var spare))
        {
            spare.Dispose();
        }
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync())
        {
            long taken = 0;
            while (batch.Count < MaxBatch && taken < MaxCommitBytes && reader.TryRead(out var item))
            {
                batch.Add(item);
                taken += item.QueuedBytes;
            }

            Volatile.Write(ref _takenByWriter, _takenByWriter + batch.Count);

            try
            {
                // Only flushes (taken counts lines alone): what was queued before them is committed already, by
                // this loop's earlier turns, so they complete without an empty transaction.
                if (taken > 0)
                {
                    await _db.WriteAsync((c, t) => InsertBatch(c, t, batch), CancellationToken.None, kind: WriteKind.Output);
                    Interlocked.Add(ref _storedBytes, _batchBytes);
                    _db.OutputCommitted(_batchBytes);
                }
            }
            catch (Exception e) when (e is SqliteException || ScriptExecException.IsUnavailable(e))
            {
                // A failed batch (disk full, I/O error) must not stop capture for good; the next batch tries again.
                // The lines are lost, and counted, so their execution never claims its output is complete.
                CountLost(batch);
            }

            // Counted as done whether committed or lost to a failed batch, so a flush never waits forever.
            long queuedBytes = 0;
            long batches = 0;
            foreach (var item in batch)
            {
                if (item.Lines is { } lines)
                {
                    queuedBytes += item.QueuedBytes;
                    batches++;
                    lines.Dispose();
                }
            }

            Interlocked.Add(ref _pending, -batches);
            Interlocked.Add(ref _queuedBytes, -queuedBytes);
            Interlocked.Exchange(ref _room, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
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
            if (item.Lines is { } lost)
            {
                lines += lost.LineCount;
                _lost.AddOrUpdate(
                    lost.ExecutionId,
                    static (_, l) => new LostOutput(l.LineCount, l.ContentBytes),
                    static (_, before, l) => new LostOutput(before.Lines + l.LineCount, before.Bytes + l.ContentBytes),
                    lost);
            }
        }

        if (lines > 0)
        {
            _db.Availability.OutputLinesLost(lines);
        }
    }

    private int InsertBatch(SqliteConnection connection, SqliteTransaction transaction, List<Pending> batch)
    {
        // The hot path of output capture: one prepared command re-bound per chunk (Dapper would rebuild its
        // parameter set per row). A batch interleaves executions: each has its own chunk under way.
        using var chunkInsert = new ChunkInsert(connection, transaction);
        var written = 0;
        _batchBytes = 0;
        try
        {
            foreach (var item in batch)
            {
                if (item.Lines is not { } lines)
                {
                    continue;
                }

                foreach (var next in lines.Chunks)
                {
                    Add(chunkInsert, lines.ExecutionId, next);
                }

                written += lines.LineCount;
            }

            foreach (var chunk in _chunks.Values)
            {
                if (!chunk.IsEmpty)
                {
                    _batchBytes += chunk.Length;
                    chunkInsert.Write(chunk);
                }
            }
        }
        finally
        {
            ReleaseChunks();
        }

        return written;
    }

    /// <summary>
    /// Appends <paramref name="next"/> to its execution's chunk under way when it fits there; otherwise that chunk
    /// is written, and <paramref name="next"/> is written as it is when it is nearly full (no copy: a flood's reads
    /// come in large chunks) or becomes the new chunk under way.
    /// </summary>
    private void Add(ChunkInsert chunkInsert, long executionId, OutputChunkBuilder next)
    {
        if (!_chunks.TryGetValue(executionId, out var current))
        {
            current = _spareChunks.TryPop(out var spare) ? spare : new OutputChunkBuilder();
            _chunks.Add(executionId, current);
        }

        if (!current.IsEmpty)
        {
            if (current.TryAbsorb(next))
            {
                return;
            }

            _batchBytes += current.Length;
            chunkInsert.Write(current);
        }

        if (next.Length >= OutputChunk.MaxBytes / 2 || next.LineCount >= OutputChunk.MaxLines / 2)
        {
            _batchBytes += next.Length;
            chunkInsert.Write(next);
        }
        else
        {
            current.TryAbsorb(next);
        }
    }

    // Builders go back to a few spares after every batch (a failed one too), their buffers to the shared pool beyond
    // that: what a flood of many executions borrowed does not stay with the writer.
    private void ReleaseChunks()
    {
        foreach (var chunk in _chunks.Values)
        {
            chunk.Clear();
            if (_spareChunks.Count < MaxSpareChunks)
            {
                _spareChunks.Push(chunk);
            }
            else
            {
                chunk.Dispose();
            }
        }

        _chunks.Clear();
    }

    private readonly record struct Pending(OutputBatch? Lines, long QueuedBytes, TaskCompletionSource? Flushed);
}

/// <summary>Captured lines of one execution the store refused: how many, and their UTF-8 bytes.</summary>
public readonly record struct LostOutput(long Lines, long Bytes);
