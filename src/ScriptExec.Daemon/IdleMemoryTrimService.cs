using ScriptExec.Store;

namespace ScriptExec.Daemon;

/// <summary>
/// Gives memory back after a burst of work. The GC returns free memory to the system only while it collects, and an
/// idle daemon allocates too little to collect; glibc keeps what native code (the runtime, sockets, SQLite) freed in
/// its malloc arenas. So after one output flood to many subscribers the memory it grew to would stay resident for
/// good, and so would what stalled subscribers' connections held once they close (closing allocates next to
/// nothing, so nothing collects it). Once the daemon has been quiet for a check interval, after a burst, or after
/// connections closed while resident memory stands well above the lowest it has been, one compacting collection and a
/// malloc_trim return the rest: milliseconds, never during a burst, and at most once per burst or per wave of closes.
/// Start-up is such a burst too (configuration, services, Kestrel, the store's first statements: the first GC region,
/// 4 MiB, is full when the daemon is ready, and an idle daemon would carry it for good), so the same trim runs once,
/// shortly after ready.
/// </summary>
internal sealed class IdleMemoryTrimService : BackgroundService
{
    // What free() may leave at the top of a malloc arena before it hands memory back by itself. glibc's default
    // (128 KiB) made an output flood's writer thread shrink its arena after every chunk SQLite freed and grow it again
    // for the next (madvise, then page faults and TLB shootdowns on every chunk: bulk output stored 20-35% slower).
    // The memory is not kept for good: the trim here returns it once the daemon is quiet.
    private const int ArenaTrimThresholdBytes = 16 * 1024 * 1024;

    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(10);

    // After ready, before the trim of what start-up left: past the first clients' calls, well before any check.
    private static readonly TimeSpan StartupSettle = TimeSpan.FromSeconds(1);

    // Allocations per interval below which the daemon counts as quiet: status polls and idle subscribers stay under it.
    private const long QuietAllocationBytes = 8L * 1024 * 1024;

    // Resident memory above the lowest level seen that is worth a trim once connections have closed.
    private const long TrimThresholdBytes = 32L * 1024 * 1024;

    private readonly TimeProvider _time;
    private readonly ConnectionLimit _connections;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<IdleMemoryTrimService> _logger;

    public IdleMemoryTrimService(
        TimeProvider time, ConnectionLimit connections, IHostApplicationLifetime lifetime, ILogger<IdleMemoryTrimService> logger)
    {
        _time = time;
        _connections = connections;
        _lifetime = lifetime;
        _logger = logger;
    }

    /// <summary>
    /// Leaves giving malloc arenas back to this service's trim instead of every free(); called once, before the
    /// host's first allocations. Does nothing where the C library is not glibc.
    /// </summary>
    public static void HoldFreedNativeMemory()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            _ = NativeMethods.MallOpt(NativeMethods.MallocTrimThresholdOption, ArenaTrimThresholdBytes);
        }
        catch (EntryPointNotFoundException)
        {
            // Not glibc: its allocator keeps its own policy.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        (long Allocated, long Resident) ready;
        try
        {
            ready = await TrimAfterStartAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            // Stopped before it was ready.
            return;
        }

        // Counted from ready, not from the start-up trim: a burst that began in the settle (clients can call from
        // the moment the socket accepts) is a burst like any other, and the start-up trim ran in the middle of it.
        // For the same reason the lowest level is no higher than at ready, when no client had done anything yet:
        // taken after a trim during a flood to stalled subscribers, it would hold their queues, and their closing
        // would never seem worth a trim.
        using var timer = new PeriodicTimer(CheckInterval, _time);
        var allocated = ready.Allocated;
        var burstSinceTrim = false;
        var floor = Math.Min(ready.Resident, ResidentBytes());
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
                var resident = ResidentBytes();
                floor = Math.Min(floor, resident);
                var closedWhileGrown = open < openAtTrim && resident - floor > TrimThresholdBytes;
                openAtTrim = Math.Max(openAtTrim, open);
                if (!burstSinceTrim && !closedWhileGrown)
                {
                    continue;
                }

                var unmapped = Trim();
                var after = ResidentBytes();
                Log.MemoryTrimmed(_logger, resident >> 20, after >> 20, unmapped >> 10);
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

    /// <summary>The trim shortly after ready; returns what was allocated and resident at ready.</summary>
    private async Task<(long Allocated, long Resident)> TrimAfterStartAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (_lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            await started.Task;
        }

        var ready = (GC.GetTotalAllocatedBytes(), ResidentBytes());
        await Task.Delay(StartupSettle, _time, stoppingToken);
        var resident = ResidentBytes();
        var unmapped = Trim();
        Log.StartupMemoryReturned(_logger, resident >> 20, ResidentBytes() >> 20, unmapped >> 10);
        return ready;
    }

    /// <summary>
    /// Resident memory from /proc/self/statm. Environment.WorkingSet builds a whole Process snapshot for this (stat,
    /// status, cmdline and every thread's stat), during start-up where it was read first and again at every check.
    /// </summary>
    private static long ResidentBytes()
    {
        var fields = File.ReadAllText("/proc/self/statm").Split(' ');
        return long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) * Environment.SystemPageSize;
    }

    /// <summary>Returns what the GC, the output pool and malloc hold, and unmaps the binary's idle pages; returns the bytes unmapped.</summary>
    private static long Trim()
    {
        OutputStore.ReleasePooledBuffers();
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

        return ImagePages.Release();
    }
}
