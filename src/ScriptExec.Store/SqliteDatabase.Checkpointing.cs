using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ScriptExec.Store;

/// <summary>
/// Folding the write-ahead log back into the database off the writer. SQLite's own checkpoint runs inside the commit
/// that takes the log past 1,000 pages, so during an output flood the one writer spent about half its time copying
/// what it had just written (reading the log back, writing the file, two fsyncs) instead of writing the next batch.
/// After each <see cref="CheckpointEveryBytes"/> of output stored, a thread of its own, on a connection of its own,
/// runs a passive checkpoint while the writer goes on (WAL mode lets the two run at once).
/// The log restarts from its beginning only when a write begins with all of it copied, which a writer that never pauses
/// never sees: left alone, the log grew as large as the flood (139 MB for 200 MB of output). So the log is kept to
/// <see cref="LogLimitBytes"/>: SQLite cuts its file back to <see cref="LogFileKeptBytes"/> when it starts over
/// (journal_size_limit), so a file longer than the limit means a log that has grown past it since, and then the
/// writer's next output write first copies the rest itself (after the pass under way, holding the write lock, so it
/// copies everything) and starts it over.
/// The writer's automatic checkpoint stays as it was for every other write.
/// </summary>
public sealed partial class SqliteDatabase
{
    /// <summary>Output stored between background checkpoints: a quarter of the writer's own 1,000-page threshold.</summary>
    internal const long CheckpointEveryBytes = 1024 * 1024;

    /// <summary>
    /// The write-ahead log's size past which the writer folds in the rest before its next output write: four times
    /// SQLite's own threshold, so that the background does most of the copying.
    /// </summary>
    internal const long LogLimitBytes = 16L * 1024 * 1024;

    /// <summary>What the log's file is cut back to when it starts over (it stays that large between floods).</summary>
    internal const long LogFileKeptBytes = 4L * 1024 * 1024;

    private readonly Lock _checkpointGate = new();

    // One checkpoint at a time, the background's or the writer's fold: the fold waits for a pass under way.
    private readonly Lock _checkpointRun = new();
    private readonly AutoResetEvent _checkpointWanted = new(false);
    private Thread? _checkpointer;
    private bool _checkpointerStopping;
    // Counted by the output writer alone (one loop, one commit at a time).
    private long _bytesSinceCheckpoint;

    /// <summary>
    /// Counts <paramref name="bytes"/> of output just committed (called by the output writer's loop only); past <see cref="CheckpointEveryBytes"/> the
    /// background checkpoint is woken (the thread is started on the first flood: an idle daemon has none).
    /// </summary>
    internal void OutputCommitted(long bytes)
    {
        _bytesSinceCheckpoint += bytes;
        if (_bytesSinceCheckpoint < CheckpointEveryBytes)
        {
            return;
        }

        _bytesSinceCheckpoint = 0;
        lock (_checkpointGate)
        {
            if (_checkpointerStopping)
            {
                return;
            }

            _checkpointer ??= StartCheckpointer();
            if (_checkpointer.IsAlive)
            {
                _checkpointWanted.Set();
            }
        }
    }

    /// <summary>The checkpoint thread; one that is not alive when the system refused a thread (the writer copies alone).</summary>
    private Thread StartCheckpointer()
    {
        var thread = new Thread(CheckpointLoop, 256 * 1024) { IsBackground = true, Name = "checkpointer" };
        try
        {
            thread.Start();
        }
        catch (OutOfMemoryException)
        {
            // No thread to be had (pids limit, memory): the writer's own checkpoints and the fold keep the log bounded.
        }

        return thread;
    }

    private void CheckpointLoop()
    {
        SqliteConnection? connection = null;
        try
        {
            while (true)
            {
                _checkpointWanted.WaitOne();
                lock (_checkpointGate)
                {
                    if (_checkpointerStopping)
                    {
                        return;
                    }
                }

                // Opened at the first wake, and again at the next one after a failure: a file that cannot be opened a
                // second time now (no descriptors left, full storage) may be later, and meanwhile the writer's own
                // checkpoints and the fold keep the log bounded. The thread stays for the daemon's life either way.
                connection ??= TryOpenCheckpointConnection();
                if (connection is null)
                {
                    continue;
                }

                // Busy (the writer's own checkpoint runs), full or failing storage: the next one, or the writer's,
                // retries; the log is never lost, only folded in later.
                lock (_checkpointRun)
                {
                    _ = raw.sqlite3_wal_checkpoint_v2(connection.Handle, "main", raw.SQLITE_CHECKPOINT_PASSIVE, out _, out _);
                }
            }
        }
        finally
        {
            connection?.Dispose();
        }
    }

    // A pooled connection like a reader's: a checkpoint takes no lock that a reader's connection lacks.
    private SqliteConnection? TryOpenCheckpointConnection()
    {
        try
        {
            return OpenRead();
        }
        catch (SqliteException)
        {
            return null;
        }
    }

    /// <summary>
    /// Before an output write, holding the write lock: when the log has grown past <see cref="LogLimitBytes"/>,
    /// copies what has not been copied yet, so this write starts the log over (and cuts its file back).
    /// </summary>
    private void FoldLogIfLong()
    {
        if (FileBytes(_logPath) <= LogLimitBytes)
        {
            return;
        }

        lock (_checkpointRun)
        {
            // A failure (full storage) or a reader still on an old snapshot leaves the log as it is: the next output
            // write tries again.
            _ = raw.sqlite3_wal_checkpoint_v2(_writer.Handle, "main", raw.SQLITE_CHECKPOINT_PASSIVE, out _, out _);
        }
    }

    /// <summary>Stops the background checkpoint before the writer's last one (at dispose).</summary>
    private void StopCheckpointer()
    {
        Thread? thread;
        lock (_checkpointGate)
        {
            _checkpointerStopping = true;
            thread = _checkpointer;
            _checkpointWanted.Set();
        }

        thread?.Join();

        // Nothing signals it any more: a commit that comes later sees the stop under the gate and leaves it alone.
        _checkpointWanted.Dispose();
    }
}
