namespace ScriptExec.Cli;

/// <summary>A failure the CLI reports as one line on stderr and turns into an exit code.</summary>
public abstract class CliException : Exception
{
    protected CliException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    public abstract int ExitCode { get; }
}

/// <summary>The command line is wrong (unknown flag, missing argument, unreadable input file).</summary>
public sealed class UsageException : CliException
{
    public UsageException(string message)
        : base(message)
    {
    }

    public override int ExitCode => ExitCodes.Usage;
}

/// <summary>The daemon cannot be reached, refused the credentials, or went away mid-conversation.</summary>
public sealed class DaemonUnavailableException : CliException
{
    public DaemonUnavailableException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    public override int ExitCode => ExitCodes.Unavailable;
}

/// <summary>The daemon's reply broke the protocol or was not the shape this CLI knows.</summary>
public sealed class ProtocolException : CliException
{
    public ProtocolException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    public override int ExitCode => ExitCodes.Protocol;
}

/// <summary>A JSON-RPC error reply: <see cref="Reason"/> is <c>error.data.reason</c> (e.g. <c>not_found</c>).</summary>
public sealed class RpcErrorException : CliException
{
    public const int InvalidParams = -32602;
    public const int MethodNotFound = -32601;

    public RpcErrorException(int code, string message, string? reason, string? field)
        : base(message)
    {
        Code = code;
        Reason = reason;
        Field = field;
    }

    public int Code { get; }

    public string? Reason { get; }

    public string? Field { get; }

    /// <summary>Application errors (codes outside JSON-RPC's reserved range) → 1; a rejected value → 2; the rest → 4.</summary>
    public override int ExitCode => Code switch
    {
        InvalidParams => ExitCodes.Usage,
        >= -32768 and <= -32000 => ExitCodes.Protocol,
        _ => ExitCodes.ApplicationError,
    };

    /// <summary>The stderr line: <c>message (reason)</c> for application errors, the message alone otherwise.</summary>
    public string Describe() =>
        ExitCode == ExitCodes.ApplicationError && Reason is not null ? $"{Message} ({Reason})" : Message;
}
