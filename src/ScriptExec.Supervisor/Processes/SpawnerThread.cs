using System.Collections.Concurrent;

namespace ScriptExec.Supervisor.Processes;

/// <summary>
/// A thread for <see cref="HeldSpawn"/>: posix_spawn blocks its calling thread until the child has exec'd (vfork
/// semantics), so a held spawn needs a thread of its own while the daemon confines and records the child. Threads are
/// kept and reused: creating and tearing one down on every run is a good part of what a short script costs.
/// </summary>
internal sealed class SpawnerThread
{
    // Parallel starts hold one thread each; a few stay for the next burst, the rest end.
    private const int MaxIdle = 4;
    private const int StackBytes = 256 * 1024;

    private static readonly ConcurrentBag<SpawnerThread> Idle = [];

    // Monitor.Wait/Pulse on a plain object: nothing to dispose when the thread ends.
    private readonly object _gate = new();
    private Action? _work;
    private bool _busy;
    private bool _retired;

    private SpawnerThread()
    {
        var thread = new Thread(Loop, StackBytes) { IsBackground = true, Name = "spawn" };
        thread.Start();
    }

    /// <summary>An idle spawner thread, or a new one.</summary>
    public static SpawnerThread Rent() => Idle.TryTake(out var thread) ? thread : new SpawnerThread();

    /// <summary>Runs <paramref name="work"/> on this thread; <see cref="Join"/> waits for it.</summary>
    public void Run(Action work)
    {
        lock (_gate)
        {
            _work = work;
            _busy = true;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Waits until the work has returned, then hands the thread back for the next spawn.</summary>
    public void Join()
    {
        lock (_gate)
        {
            while (_busy)
            {
                Monitor.Wait(_gate);
            }
        }

        if (Idle.Count < MaxIdle)
        {
            Idle.Add(this);
            return;
        }

        lock (_gate)
        {
            _retired = true;
            Monitor.PulseAll(_gate);
        }
    }

    private void Loop()
    {
        while (true)
        {
            Action work;
            lock (_gate)
            {
                while (_work is null && !_retired)
                {
                    Monitor.Wait(_gate);
                }

                if (_work is null)
                {
                    return;
                }

                work = _work;
                _work = null;
            }

            work();
            lock (_gate)
            {
                _busy = false;
                Monitor.PulseAll(_gate);
            }
        }
    }
}
