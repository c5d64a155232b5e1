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

/// <summary>An application error with a stable kind, safe to show to the caller.</summary>
public sealed class ScriptExecException : Exception
{
    public ScriptExecException(ErrorKind kind, string message)
        : base(message)
    {
        Kind = kind;
    }

    /// <summary>A write the store refused: <see cref="ErrorKind.Unavailable"/> with the storage condition that caused it.</summary>
    public ScriptExecException(StorageFault storage, string message, Exception? innerException)
        : base(message, innerException)
    {
        Kind = ErrorKind.Unavailable;
        Storage = storage;
    }

    public ScriptExecException()
    {
    }

    public ScriptExecException(string message)
        : base(message)
    {
    }

    public ScriptExecException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ErrorKind Kind { get; }

    /// <summary>For <see cref="ErrorKind.Unavailable"/>: what is wrong with the storage.</summary>
    public StorageFault? Storage { get; }

    /// <summary>True when <paramref name="exception"/> is a write the store refused (<see cref="ErrorKind.Unavailable"/>).</summary>
    public static bool IsUnavailable(Exception exception) => exception is ScriptExecException { Kind: ErrorKind.Unavailable };
}

/// <summary>A parameter that is missing or wrong; <see cref="Field"/> is its dotted path, e.g. <c>pagination.limit</c>.</summary>
public sealed class InvalidParameterException : Exception
{
    public InvalidParameterException(string field, string reason)
        : base($"invalid params: {field} {reason}")
    {
        Field = field;
        Reason = reason;
    }

    public InvalidParameterException()
    {
        Field = string.Empty;
        Reason = string.Empty;
    }

    public InvalidParameterException(string message)
        : base(message)
    {
        Field = string.Empty;
        Reason = message;
    }

    public InvalidParameterException(string message, Exception innerException)
        : base(message, innerException)
    {
        Field = string.Empty;
        Reason = message;
    }

    public string Field { get; }

    public string Reason { get; }
}
