namespace ScriptExec.Core;

/// <summary>The application failures a caller can act on; the RPC layer maps each to its stable code and reason.</summary>
public enum ErrorKind
{
    NotFound,
    AlreadyRunning,
    NotRunning,
    Forbidden,
    Capacity,
    Conflict,

    /// <summary>The store refused a write (full, read-only, I/O error); nothing was changed. Retry once it is writable.</summary>
    Unavailable,
}
