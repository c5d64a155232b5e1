namespace ScriptExec.Store;

/// <summary>How a write is treated when the storage is full.</summary>
public enum WriteKind
{
    /// <summary>A request's or trigger's write: refused with 1007 while the store is unavailable.</summary>
    Request,

    /// <summary>A batch of captured output lines: dropped (and counted) while the store is unavailable.</summary>
    Output,

    /// <summary>
    /// A record the supervisor must not lose (pid, terminating, end): always tried, with the reserve released for
    /// it when the storage is full.
    /// </summary>
    Essential,
}
