namespace ScriptExec.Daemon.Fleet;

/// <summary>
/// How long a fleet channel waits before its next connection attempt: doubling from <see cref="Initial"/> up to
/// <see cref="Max"/>, each delay jittered down by up to half so that a thousand devices that lost their broker at
/// the same moment do not all come back at the same moment. A connection that was made resets it.
/// </summary>
public sealed class ReconnectBackoff
{
    private readonly Func<double> _random;
    private int _failures;

    /// <param name="random">A source of [0, 1): the jitter. Tests pass a fixed one.</param>
    public ReconnectBackoff(TimeSpan initial, TimeSpan max, Func<double>? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(initial, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, initial);
        Initial = initial;
        Max = max;
        _random = random ?? Random.Shared.NextDouble;
    }

    public TimeSpan Initial { get; }

    public TimeSpan Max { get; }

    /// <summary>Attempts failed (or connections lost) since the last connection was made.</summary>
    public int Failures => _failures;

    /// <summary>The delay before the next attempt; counts one more failure.</summary>
    public TimeSpan Next()
    {
        // Doubling stops at the cap long before the shift could overflow.
        var exponent = Math.Min(_failures, 30);
        _failures++;
        var ceiling = Math.Min(Initial.TotalMilliseconds * (1L << exponent), Max.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ceiling * (1 - (_random() / 2)));
    }

    /// <summary>A connection was made: the next failure waits <see cref="Initial"/> again (jittered).</summary>
    public void Reset() => _failures = 0;

    /// <summary>
    /// Keeps a channel connected: runs <paramref name="connectAndServe"/> (true when it made a connection, which has
    /// now ended; false when the attempt failed), tells <paramref name="retrying"/> and waits the next delay, until
    /// <paramref name="cancellationToken"/> fires or <paramref name="stopping"/> says so. A connection made starts
    /// the delays over.
    /// </summary>
    public async Task RunAsync(
        Func<CancellationToken, Task<bool>> connectAndServe,
        Action<bool, TimeSpan> retrying,
        TimeProvider time,
        Func<bool> stopping,
        CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested && !stopping())
            {
                var connected = await connectAndServe(cancellationToken);
                if (cancellationToken.IsCancellationRequested || stopping())
                {
                    return;
                }

                if (connected)
                {
                    Reset();
                }

                var delay = Next();
                retrying(connected, delay);
                await Task.Delay(delay, time, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped while waiting or connecting.
        }
    }
}
