using ScriptExec.Core;

namespace ScriptExec.Rpc.Results;

/// <summary>An instance's restart policy on the wire; absent when the instance never restarts.</summary>
public sealed record RestartDto(string On, int DelayS, int MaxDelayS, int MaxRestarts, int WindowS)
{
    public static RestartDto? From(RestartPolicy? p) =>
        p is null ? null : new(RestartPolicy.ToWire(p.On), p.DelaySeconds, p.MaxDelaySeconds, p.MaxRestarts, p.WindowSeconds);
}
