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
}

/// <summary>An application error with a stable kind, safe to show to the caller.</summary>
public sealed class ScriptExecException : Exception
{
    public ScriptExecException(ErrorKind kind, string message)
        : base(message)
    {
        Kind = kind;
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
