namespace ScriptExec.Core;

/// <summary>When a run that ended by itself is started again (systemd's <c>Restart=</c>, supervisord's <c>autorestart</c>).</summary>
public enum RestartOn
{
    /// <summary>After a non-zero exit or a death by a signal that no stop sent.</summary>
    Failure,

    /// <summary>After every run that ended by itself, exit 0 included.</summary>
    Always,
}

/// <summary>
/// An instance's restart policy: the delay doubles per consecutive restart from <see cref="DelaySeconds"/> up to
/// <see cref="MaxDelaySeconds"/>; after <see cref="MaxRestarts"/> restarts within <see cref="WindowSeconds"/> the
/// daemon gives up until the instance is started, changed or enabled again.
/// </summary>
public sealed record RestartPolicy(RestartOn On, int DelaySeconds = 1, int MaxDelaySeconds = 60, int MaxRestarts = 5, int WindowSeconds = 300)
{
    public static string ToWire(RestartOn on) => on == RestartOn.Always ? "always" : "failure";

    public static bool TryParseOn(string? value, out RestartOn on)
    {
        switch (value)
        {
            case "failure": on = RestartOn.Failure; return true;
            case "always": on = RestartOn.Always; return true;
            default: on = default; return false;
        }
    }

    /// <summary>Whether a run that ended this way restarts: never after a stop (manual, xpath or system).</summary>
    public bool Applies(ExecutionState state, int? exitCode, Trigger? stopTrigger) =>
        stopTrigger is null && (On == RestartOn.Always || state == ExecutionState.Killed || exitCode != 0);

    /// <summary>The delay before restart number <paramref name="consecutive"/> (1-based): doubling, capped.</summary>
    public TimeSpan DelayBefore(int consecutive)
    {
        var seconds = (double)DelaySeconds;
        for (var i = 1; i < consecutive && seconds < MaxDelaySeconds; i++)
        {
            seconds *= 2;
        }

        return TimeSpan.FromSeconds(Math.Min(seconds, Math.Max(MaxDelaySeconds, DelaySeconds)));
    }
}

/// <summary>What a start trigger does when it fires while the instance runs.</summary>
public enum OverlapPolicy
{
    /// <summary>Nothing (counted): today's behaviour.</summary>
    Skip,

    /// <summary>At most one pending start, run when the current run ends.</summary>
    Queue,
}

/// <summary>Wire names of <see cref="OverlapPolicy"/>.</summary>
public static class OverlapPolicies
{
    public static string ToWire(this OverlapPolicy overlap) => overlap == OverlapPolicy.Queue ? "queue" : "skip";

    public static bool TryParse(string? value, out OverlapPolicy overlap)
    {
        switch (value)
        {
            case "skip": overlap = OverlapPolicy.Skip; return true;
            case "queue": overlap = OverlapPolicy.Queue; return true;
            default: overlap = default; return false;
        }
    }
}
