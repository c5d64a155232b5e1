namespace ScriptExec.Daemon;

/// <summary>
/// The daemon's share of file descriptors (RLIMIT_NOFILE): what the runtime, the store, spawning and running
/// scripts need is kept in reserve, and only the rest may be spent on client connections.
/// </summary>
/// <remarks>
/// .NET keeps every loaded assembly open (two descriptors each on Linux), so the runtime alone holds about 250 once
/// the serving path is loaded. A client flood that takes the last descriptors does not fail a connection; it fails
/// whatever opens a file next: an assembly load ("Could not load file or assembly", for good, since a failed load is
/// cached), SQLite, a spawn's pipes, or the runtime itself ("Out of memory."). Hence a cap on connections derived
/// from the limit, rather than handling EMFILE wherever it may strike.
/// </remarks>
internal sealed class DescriptorBudget
{
    /// <summary>Below this the runtime cannot even load the daemon; checked before anything else is loaded.</summary>
    public const int StartFloor = 256;

    /// <summary>What starting the host opens after the budget is first drawn up: Kestrel's and the host's assemblies, the store.</summary>
    public const int StartAllowance = 76;

    /// <summary>
    /// For more pooled SQLite connections, spawns in flight, and the runtime: each thread it adds to the pool opens a
    /// pipe, and one it cannot open aborts the process ("Out of memory."), which no accept loop can back off from.
    /// </summary>
    public const int Headroom = 28;

    /// <summary>A running execution holds its output pipes and pidfd.</summary>
    public const int PerExecution = 3;

    /// <summary>A daemon that can serve fewer clients than this at once is not worth starting.</summary>
    public const int MinimumConnections = 4;

    private const int RlimitNofile = 7;

    private readonly int _executionReserve;
    private readonly int _maxConnections;
    private volatile int _connectionCap;

    private DescriptorBudget(long limit, int inUse, int maxConcurrentExecutions, int maxConnections)
    {
        Limit = limit;
        _executionReserve = PerExecution * maxConcurrentExecutions;
        _maxConnections = maxConnections;
        Update(inUse);
    }

    /// <summary>Gets the open-file limit the daemon runs with.</summary>
    public long Limit { get; }

    /// <summary>Gets the descriptors counted as in use by the daemon itself (measured, or estimated before the host starts).</summary>
    public int InUse { get; private set; }

    /// <summary>Gets the descriptors never spent on connections.</summary>
    public int Reserve => InUse + Headroom + _executionReserve;

    /// <summary>Gets how many client connections (of any kind, authenticated or not) may be open at once.</summary>
    public int ConnectionCap => _connectionCap;

    /// <summary>
    /// Raises the soft open-file limit to the hard one (the soft default, 1024, is meant for select()-era programs)
    /// and returns the limit now in force; null where it cannot be read.
    /// </summary>
    public static long? RaiseSoftLimit()
    {
        if (!OperatingSystem.IsLinux() || NativeMethods.GetRlimit(RlimitNofile, out var limit) != 0)
        {
            return null;
        }

        if (limit.Current < limit.Maximum && NativeMethods.SetRlimit(RlimitNofile, new NativeMethods.ResourceLimit { Current = limit.Maximum, Maximum = limit.Maximum }) == 0)
        {
            limit.Current = limit.Maximum;
        }

        return (long)Math.Min(limit.Current, int.MaxValue);
    }

    /// <summary>The message for a limit under <see cref="StartFloor"/>, or null when the limit is enough to go on.</summary>
    public static string? CheckFloor(long? limit) => limit is { } value && value < StartFloor
        ? $"the open-file limit (RLIMIT_NOFILE) is {value}, too low to start: scriptexecd needs at least {StartFloor} for its runtime alone, "
            + "plus its connections and scripts (65536 is usual). Raise it: LimitNOFILE= in the systemd unit, or ulimit -n before starting"
        : null;

    /// <summary>
    /// Draws up the budget from the limit and the descriptors open now plus what starting the host will open;
    /// <see cref="OptionsException"/> when too few would be left for <see cref="MinimumConnections"/>.
    /// </summary>
    public static DescriptorBudget BeforeStart(long? limit, int maxConcurrentExecutions, int maxConnections)
    {
        var budget = new DescriptorBudget(limit ?? long.MaxValue, CountOpen() + StartAllowance, maxConcurrentExecutions, maxConnections);
        int minimum = Math.Min(MinimumConnections, maxConnections);
        if (budget.ConnectionCap < minimum)
        {
            throw new OptionsException(
                $"the open-file limit (RLIMIT_NOFILE) is {budget.Limit}, too low: scriptexecd needs at least {budget.Reserve + minimum} "
                + $"(about {budget.InUse} for the runtime and the store, {Headroom} headroom, {PerExecution} per concurrent execution "
                + $"with max_concurrent_executions={maxConcurrentExecutions}, {minimum} for connections). "
                + "Raise it: LimitNOFILE= in the systemd unit, or ulimit -n before starting; or lower max_concurrent_executions");
        }

        return budget;
    }

    /// <summary>Replaces the estimate with what the started daemon really holds.</summary>
    public void Remeasure() => Update(CountOpen());

    private void Update(int inUse)
    {
        InUse = inUse;
        _connectionCap = (int)Math.Clamp(Limit - Reserve, 0, _maxConnections);
    }

    private static int CountOpen()
    {
        try
        {
            return Directory.EnumerateFileSystemEntries("/proc/self/fd").Count();
        }
        catch (IOException)
        {
            // No /proc: assume what a loaded daemon typically holds.
            return StartFloor;
        }
    }
}
