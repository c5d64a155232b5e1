namespace ScriptExec.Supervisor.Processes;

/// <summary>
/// The threads a held spawn's posix_spawn runs on (<see cref="HeldSpawn"/>). Each spawn needs a thread to itself until
/// its child's exec (posix_spawn blocks its caller until then), and starting a new one for every run cost about a
/// tenth of the daemon's CPU per run: NativeAOT's <see cref="Thread.Start()"/> yields until the new thread is running.
/// A thread that is done parks here for the next spawn (before its spawn is reported done, so a run that follows finds
/// it), most recently parked first, and ends after <see cref="IdleTimeout"/> without one; an idle daemon keeps none.
/// </summary>
internal static class SpawnerThreads
{
    private const int StackBytes = 256 * 1024;

    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(10);

    private static readonly List<Worker> Parked = [];
    private static readonly Lock ParkedGate = new();
    private static int _started;

    /// <summary>Threads started so far (a thread reused for a spawn is not counted again).</summary>
    internal static int Started => Volatile.Read(ref _started);

    /// <summary>
    /// Runs <paramref name="spawner"/> on a parked thread, or on a new one when none is parked. Throws
    /// <see cref="OutOfMemoryException"/> when no thread can be started (a pids limit, memory), as Thread.Start does.
    /// </summary>
    public static void Run(HeldSpawn.Spawner spawner)
    {
        Worker? worker = null;
        lock (ParkedGate)
        {
            if (Parked.Count > 0)
            {
                worker = Parked[^1];
                Parked.RemoveAt(Parked.Count - 1);
            }
        }

        if (worker is not null)
        {
            worker.Give(spawner);
            return;
        }

        worker = new Worker(spawner);
        var thread = new Thread(worker.Loop, StackBytes) { IsBackground = true, Name = "spawn" };
        thread.Start();
        Interlocked.Increment(ref _started);
    }

    private sealed class Worker(HeldSpawn.Spawner first)
    {
        private readonly object _gate = new();
        private HeldSpawn.Spawner? _next;

        public void Give(HeldSpawn.Spawner spawner)
        {
            lock (_gate)
            {
                _next = spawner;
                Monitor.Pulse(_gate);
            }
        }

        public void Loop()
        {
            for (var spawner = first; spawner is not null; spawner = Park(spawner))
            {
                spawner.Run();
            }
        }

        /// <summary>
        /// Parks, reports <paramref name="done"/> done, and returns the next spawn given to this thread; null when none
        /// came within <see cref="IdleTimeout"/> (the thread ends).
        /// </summary>
        private HeldSpawn.Spawner? Park(HeldSpawn.Spawner done)
        {
            lock (ParkedGate)
            {
                Parked.Add(this);
            }

            done.SignalDone();

            lock (_gate)
            {
                while (_next is null)
                {
                    if (!Monitor.Wait(_gate, IdleTimeout))
                    {
                        lock (ParkedGate)
                        {
                            // Still parked: nobody will give it a spawn. Else it was taken out to be given one, on its way.
                            if (Parked.Remove(this))
                            {
                                return null;
                            }
                        }

                        while (_next is null)
                        {
                            Monitor.Wait(_gate);
                        }
                    }
                }

                var next = _next;
                _next = null;
                return next;
            }
        }
    }
}
