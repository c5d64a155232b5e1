using System.Runtime.InteropServices;

namespace ScriptExec.Daemon;

/// <summary>
/// Gives memory back after a burst of work. The GC returns free memory to the system only while it collects, and an
/// idle daemon allocates too little to collect; glibc keeps what native code (the runtime, sockets, SQLite) freed in
/// its malloc arenas. So after one output flood to many subscribers the memory it grew to would stay resident for
/// good, and so would what the subscribers' connections held once they close (closing allocates next to nothing,
/// so nothing collects it). Once the daemon has been quiet for a check interval, after a burst or while its resident
/// memory stands well above the lowest it was trimmed to, one compacting collection and a malloc_trim return the rest
/// (milliseconds, never during a burst, and backing off while what is resident is still live).
/// </summary>
internal sealed partial class IdleMemoryTrimService : BackgroundService
{
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(10);

    // Allocations per interval below which the daemon counts as quiet: status polls and idle subscribers stay under it.
    private const long QuietAllocationBytes = 8L * 1024 * 1024;

    // Resident memory above the lowest trimmed level that is worth a trim while quiet (connections closed, say).
    private const long TrimThresholdBytes = 32L * 1024 * 1024;

    // While stalled clients keep memory live, a trim gives nothing back: wait at most this many intervals between tries.
    private const int MaxBackoffIntervals = 6;

    private readonly TimeProvider _time;
    private readonly ILogger<IdleMemoryTrimService> _logger;

    public IdleMemoryTrimService(TimeProvider time, ILogger<IdleMemoryTrimService> logger)
    {
        _time = time;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(CheckInterval, _time);
        var allocated = GC.GetTotalAllocatedBytes();
        var burstSinceTrim = false;
        long floor = long.MaxValue;
        var backoff = 1;
        var sinceTry = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = GC.GetTotalAllocatedBytes();
                var quiet = now - allocated < QuietAllocationBytes;
                allocated = now;
                sinceTry++;
                if (!quiet)
                {
                    burstSinceTrim = true;
                    backoff = 1;
                    continue;
                }

                var resident = Environment.WorkingSet;
                floor = Math.Min(floor, resident);
                var grown = resident - floor > TrimThresholdBytes;
                if (!burstSinceTrim && !(grown && sinceTry >= backoff))
                {
                    continue;
                }

                Trim();
                var after = Environment.WorkingSet;
                Log.MemoryTrimmed(_logger, resident >> 20, after >> 20);
                floor = Math.Min(floor, after);

                // What stays resident is live (stalled subscribers' queues, say): try again later, not every interval.
                backoff = after - floor > TrimThresholdBytes && !burstSinceTrim ? Math.Min(backoff * 2, MaxBackoffIntervals) : 1;
                burstSinceTrim = false;
                sinceTry = 0;
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
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        if (OperatingSystem.IsLinux())
        {
            try
            {
                // glibc: returns the free pages of every malloc arena, not only the top of the main heap.
                _ = MallocTrim(0);
            }
            catch (EntryPointNotFoundException)
            {
                // Not glibc (musl has no malloc_trim): the GC's part is done.
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
