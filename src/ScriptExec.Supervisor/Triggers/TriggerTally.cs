using ScriptExec.Core;

namespace ScriptExec.Supervisor.Triggers;

/// <summary>Why a trigger that fired started nothing.</summary>
public enum TriggerSkipReason
{
    /// <summary>The instance was running and its overlap policy is <c>skip</c> (or the queue was full).</summary>
    Overlap,

    /// <summary>A schedule tick passed while the daemon was down, and the instance has <c>catch_up</c> off.</summary>
    CatchUpOff,

    /// <summary>The start was refused (disabled instance, unrunnable script, shutting down): logged as TriggerFailed.</summary>
    Failed,
}

/// <summary>
/// Trigger fires and skips since start, by trigger type and skip reason, for <c>GET /metrics</c>: plain interlocked
/// counts in fixed slots, read only when metrics are collected.
/// </summary>
public sealed class TriggerTally
{
    /// <summary>The trigger types that fire by themselves (manual starts and restarts are not triggers firing).</summary>
    public static readonly IReadOnlyList<TriggerType> Types = [TriggerType.Schedule, TriggerType.Xpath];

    public static readonly IReadOnlyList<TriggerSkipReason> Reasons = [TriggerSkipReason.Overlap, TriggerSkipReason.CatchUpOff, TriggerSkipReason.Failed];

    private readonly long[] _fired = new long[Types.Count];
    private readonly long[] _skipped = new long[Types.Count * Reasons.Count];

    public void Fired(TriggerType type) => Interlocked.Increment(ref _fired[Slot(type)]);

    public void Skipped(TriggerType type, TriggerSkipReason reason) =>
        Interlocked.Increment(ref _skipped[(Slot(type) * Reasons.Count) + (int)reason]);

    public long FiredCount(TriggerType type) => Interlocked.Read(ref _fired[Slot(type)]);

    public long SkippedCount(TriggerType type, TriggerSkipReason reason) =>
        Interlocked.Read(ref _skipped[(Slot(type) * Reasons.Count) + (int)reason]);

    /// <summary>The label value of a reason.</summary>
    public static string ToWire(TriggerSkipReason reason) => reason switch
    {
        TriggerSkipReason.Overlap => "overlap",
        TriggerSkipReason.CatchUpOff => "catch_up_off",
        TriggerSkipReason.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };

    private static int Slot(TriggerType type) => type switch
    {
        TriggerType.Schedule => 0,
        TriggerType.Xpath => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "only schedule and xpath triggers fire by themselves"),
    };
}
