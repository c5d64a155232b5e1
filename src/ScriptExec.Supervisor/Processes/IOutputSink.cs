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
    /// <summary>
    /// One line without its newline, as valid UTF-8 (masked; bytes that were not UTF-8 replaced by U+FFFD), only valid
    /// during the call; <paramref name="timestampMs"/> is Unix time in milliseconds.
    /// </summary>
    void OnLine(OutputStream stream, ReadOnlySpan<byte> content, long timestampMs);

    /// <summary>A line of the daemon's own (a spawn note), given as text; it bypasses the capture's cap and budget.</summary>
    void OnLine(OutputStream stream, string content, long timestampMs) =>
        OnLine(stream, System.Text.Encoding.UTF8.GetBytes(content), timestampMs);

    /// <summary>The lines of one read of either stream have all been passed to <see cref="OnLine(OutputStream, ReadOnlySpan{byte}, long)"/>: a batch ends here.</summary>
    void OnReadDelivered();

    /// <summary>
    /// The output budget dropped <paramref name="lines"/> lines in a row; their marker line follows through
    /// <see cref="OnLine(OutputStream, ReadOnlySpan{byte}, long)"/> unless the byte cap leaves no room for it.
    /// </summary>
    void OnDropped(long lines);

    /// <summary>Called once, when delivering a line would first exceed the per-execution byte cap; no line follows.</summary>
    void OnTruncated();

    /// <summary>Called once, after both streams ended (or were aborted); nothing follows.</summary>
    void OnEnd();
}
