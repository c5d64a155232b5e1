using System.Diagnostics.CodeAnalysis;

namespace ScriptExec.Supervisor.Processes;

/// <summary>The stream a captured line came from; the values are the file descriptors.</summary>
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "It names an output stream (stdout/stderr), which is what the word means here.")]
public enum OutputStream
{
    Stdout = 1,
    Stderr = 2,
}

/// <summary>
/// Receives captured output. Calls never overlap (stdout and stderr are serialized), but they come from the capture
/// loops, so an implementation must not block for long or the script stalls on a full socket buffer.
/// </summary>
public interface IOutputSink
{
    /// <summary>One line without its newline; <paramref name="timestampMs"/> is Unix time in milliseconds.</summary>
    void OnLine(OutputStream stream, string content, long timestampMs);

    /// <summary>The lines of one read of either stream have all been passed to <see cref="OnLine"/>: a batch ends here.</summary>
    void OnReadDelivered();

    /// <summary>
    /// The output budget dropped <paramref name="lines"/> lines in a row; their marker line follows through
    /// <see cref="OnLine"/> unless the byte cap leaves no room for it.
    /// </summary>
    void OnDropped(long lines);

    /// <summary>Called once, when delivering a line would first exceed the per-execution byte cap; no line follows.</summary>
    void OnTruncated();

    /// <summary>Called once, after both streams ended (or were aborted); nothing follows.</summary>
    void OnEnd();
}
