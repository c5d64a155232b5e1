using Microsoft.Extensions.Time.Testing;

namespace ScriptExec.Testing;

/// <summary>
/// A fake clock whose wall time can be stepped (as NTP or an operator sets it) without moving its monotonic
/// timers, the way a real machine's clocks behave. Counts the timers created, so a test can wait until a loop
/// has gone to sleep before it steps the wall clock under it.
/// </summary>
public sealed class SteppableClock : TimeProvider
{
    private readonly FakeTimeProvider _monotonic;
    private TimeSpan _step;
    private int _timersCreated;

    public SteppableClock(DateTimeOffset start)
    {
        _monotonic = new FakeTimeProvider(start);
    }

    public int TimersCreated => Volatile.Read(ref _timersCreated);

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override long TimestampFrequency => _monotonic.TimestampFrequency;

    public override DateTimeOffset GetUtcNow() => _monotonic.GetUtcNow() + _step;

    public override long GetTimestamp() => _monotonic.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        Interlocked.Increment(ref _timersCreated);
        return _monotonic.CreateTimer(callback, state, dueTime, period);
    }

    /// <summary>Time passes: the wall clock and the timers move together.</summary>
    public void Advance(TimeSpan delta) => _monotonic.Advance(delta);

    /// <summary>The wall clock is set: timers and the monotonic clock do not move.</summary>
    public void StepWallClock(TimeSpan delta) => _step += delta;
}
