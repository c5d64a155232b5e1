namespace ScriptExec.Daemon;

/// <summary>
/// Gives memory back after a burst of work. The GC returns free memory to the system only while it collects, and an
/// idle daemon allocates too little to collect: after one output flood to many subscribers the heap it grew to would
/// stay committed for good. So, once the daemon has been quiet for a check interval and holds far more committed
/// memory than live data, one compacting collection returns the rest (a few milliseconds, and only after a burst).
/// </summary>
internal sealed class IdleMemoryTrimService : BackgroundService
{
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(10);

    // Allocations per interval below which the daemon counts as quiet: status polls and idle subscribers stay under it.
    private const long QuietAllocationBytes = 8L * 1024 * 1024;

    // Committed memory beyond the live heap that is worth a full collection to give back.
    private const long TrimThresholdBytes = 32L * 1024 * 1024;

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
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = GC.GetTotalAllocatedBytes();
                var quiet = now - allocated < QuietAllocationBytes;
                allocated = now;
                var info = GC.GetGCMemoryInfo();
                var surplus = info.TotalCommittedBytes - info.HeapSizeBytes + info.FragmentedBytes;
                if (quiet && surplus > TrimThresholdBytes)
                {
                    GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                    Log.MemoryTrimmed(_logger, info.TotalCommittedBytes >> 20, GC.GetGCMemoryInfo().TotalCommittedBytes >> 20);
                    allocated = GC.GetTotalAllocatedBytes();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }
}
