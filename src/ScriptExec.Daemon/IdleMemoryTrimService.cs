namespace ScriptExec.Daemon;

/// <summary>
/// Gives memory back after a burst of work. The GC returns free memory to the system only while it collects, and an
/// idle daemon allocates too little to collect; glibc keeps what native code (the runtime, sockets, SQLite) freed in
/// its malloc arenas. So after one output flood to many subscribers the memory it grew to would stay resident for
/// good, and so would what stalled subscribers' connections held once they close (closing allocates next to
/// nothing, so nothing collects it). Once the daemon has been quiet for a check interval, after a burst, or after
/// connections closed while resident memory stands well above the lowest it has been, one compacting collection and a
/// malloc_trim return the rest: milliseconds, never during a burst, and at most once per burst or per wave of closes.
/// </summary>
internal sealed class IdleMemoryTrimService : BackgroundService
{
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(10);

    // Allocations per interval below which the daemon counts as quiet: status polls and idle subscribers stay under it.
    private const long QuietAllocationBytes = 8L * 1024 * 1024;

    // Resident memory above the lowest level seen that is worth a trim once connections have closed.
    private const long TrimThresholdBytes = 32L * 1024 * 1024;

    private readonly TimeProvider _time;
    private readonly ConnectionLimit _connections;
    private readonly ILogger<IdleMemoryTrimService> _logger;

    public IdleMemoryTrimService(TimeProvider time, ConnectionLimit connections, ILogger<IdleMemoryTrimService> logger)
    {
        _time = time;
        _connections = connections;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(CheckInterval, _time);
        var allocated = GC.GetTotalAllocatedBytes();
        var burstSinceTrim = false;
        var floor = Environment.WorkingSet;
        var openAtTrim = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = GC.GetTotalAllocatedBytes();
                var quiet = now - allocated < QuietAllocationBytes;
                allocated = now;
                if (!quiet)
                {
                    burstSinceTrim = true;
                    continue;
                }

                // What closed connections held (queues, pipe buffers, sockets) is garbage no collection will find
                // by itself; while they were open it was live and a trim could not have returned it.
                var open = _connections.Open;
                var resident = Environment.WorkingSet;
                floor = Math.Min(floor, resident);
                var closedWhileGrown = open < openAtTrim && resident - floor > TrimThresholdBytes;
                openAtTrim = Math.Max(openAtTrim, open);
                if (!burstSinceTrim && !closedWhileGrown)
                {
                    continue;
                }

                Trim();
                var after = Environment.WorkingSet;
                Log.MemoryTrimmed(_logger, resident >> 20, after >> 20);
                floor = Math.Min(floor, after);
                burstSinceTrim = false;
                openAtTrim = open;
                allocated = GC.GetTotalAllocatedBytes();
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    private static void Trim()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        if (OperatingSystem.IsLinux())
        {
            try
            {
                // glibc: returns the free pages of every malloc arena, not only the top of the main heap.
                _ = NativeMethods.MallocTrim(0);
            }
            catch (EntryPointNotFoundException)
            {
                // Not glibc (musl has no malloc_trim): the GC's part is done.
            }
        }
    }
}
