using ScriptExec.Core;

namespace ScriptExec.Store;

/// <summary>An instance's restart policy as stored in <c>instances.restart</c>, in the wire's names.</summary>
internal sealed record StoredRestart(string On, int DelayS, int MaxDelayS, int MaxRestarts, int WindowS)
{
    public static StoredRestart From(RestartPolicy p) => new(RestartPolicy.ToWire(p.On), p.DelaySeconds, p.MaxDelaySeconds, p.MaxRestarts, p.WindowSeconds);

    public RestartPolicy ToPolicy() => RestartPolicy.TryParseOn(On, out var on)
        ? new RestartPolicy(on, DelayS, MaxDelayS, MaxRestarts, WindowS)
        : throw new InvalidDataException($"unknown restart.on '{On}'");
}
