namespace ScriptExec.Daemon;

/// <summary>
/// Thread-pool workers made at start-up and kept for the daemon's life (with
/// <c>System.Threading.ThreadPool.ThreadsToKeepAlive</c> in the project file). .NET 10's thread pool cannot survive a
/// refused thread: when the system will not start a worker it wants (a pids limit reached, e.g. systemd's TasksMax,
/// which also counts every process of every script under <c>Delegate=yes</c>), the OutOfMemoryException escapes
/// <c>PortableThreadPool.WorkerThread.MaybeAddWorkingWorker</c> on a worker and the process aborts. A daemon whose
/// workers already exist does not ask for one until all of them are busy at once.
/// </summary>
internal static class WorkerReserve
{
    /// <summary>The workers made at start-up and kept; matches ThreadsToKeepAlive in the project file.</summary>
    public const int Workers = 4;

    private static readonly TimeSpan ArrivalTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Has <see cref="Workers"/> workers running before it returns. The pool's minimum is raised for that and set back
    /// after: how many workers take work at once stays the pool's own decision, and those that take none keep small
    /// stacks (the pool wakes the most recently idle first), so the memory a flood leaves behind stays as before.
    /// </summary>
    public static void Make()
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        ThreadPool.SetMinThreads(Math.Max(workers, Workers), completionPorts);

        // Below its minimum the pool starts a worker for each queued item at once; each waits until all have arrived,
        // so none is reused for another item before the rest exist. Not disposed: a worker may still be on its way
        // into Wait when this returns.
        var arrived = new CountdownEvent(Workers);
        var release = new ManualResetEventSlim();
        for (var i = 0; i < Workers; i++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(
                _ =>
                {
                    arrived.Signal();
                    release.Wait(ArrivalTimeout);
                },
                null);
        }

        arrived.Wait(ArrivalTimeout);
        release.Set();
        ThreadPool.SetMinThreads(workers, completionPorts);
    }
}
