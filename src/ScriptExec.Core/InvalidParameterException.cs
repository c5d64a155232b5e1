namespace ScriptExec.Core;

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
