namespace ScriptExec.Supervisor.Processes;

/// <summary>The process could not be started; the message names the step and the errno text.</summary>
public sealed class ProcessStartException : Exception
{
    public ProcessStartException(string message, int errno)
        : base(message)
    {
        Errno = errno;
    }

    public ProcessStartException()
    {
    }

    public ProcessStartException(string message)
        : base(message)
    {
    }

    public ProcessStartException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The errno value of the failed call, or 0 when not from a system call.</summary>
    public int Errno { get; }
}
