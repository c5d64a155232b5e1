namespace ScriptExec.Core;

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
