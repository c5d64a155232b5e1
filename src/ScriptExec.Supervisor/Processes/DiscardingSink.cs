namespace ScriptExec.Supervisor.Processes;

/// <summary>The output of <see cref="HeldSpawn.Probe"/>'s <c>/bin/true</c>: there is none to keep.</summary>
internal sealed class DiscardingSink : IOutputSink
{
    public static readonly DiscardingSink Instance = new();

    public void OnLine(OutputStream stream, ReadOnlySpan<byte> content, long timestampMs)
    {
    }

    public void OnReadDelivered()
    {
    }

    public void OnDropped(long lines)
    {
    }

    public void OnTruncated()
    {
    }

    public void OnEnd()
    {
    }
}
