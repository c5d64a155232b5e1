using System.Net.Sockets;

namespace ScriptExec.Supervisor.Processes;

/// <summary>
/// A process <see cref="ProcessLauncher.Begin"/> spawned: held before its exec when its spec has a setup, so its
/// start can be recorded with its pid before it runs anything. <see cref="Proceed"/> or <see cref="Abandon"/>, once.
/// </summary>
public sealed class PendingSpawn
{
    private readonly ProcessStartSpec _spec;
    private readonly IOutputSink _sink;
    private readonly HeldChild? _held;
    private readonly SafeSocketHandle _stdoutRead;
    private readonly SafeSocketHandle _stderrRead;

    internal PendingSpawn(
        ProcessStartSpec spec, IOutputSink sink, int pid, long procStartTime, HeldChild? held, SafeSocketHandle stdoutRead, SafeSocketHandle stderrRead)
    {
        _spec = spec;
        _sink = sink;
        Pid = pid;
        ProcStartTime = procStartTime;
        _held = held;
        _stdoutRead = stdoutRead;
        _stderrRead = stderrRead;
    }

    /// <summary>The pid, which is also the process group and session id.</summary>
    public int Pid { get; }

    /// <summary>Field 22 of /proc/&lt;pid&gt;/stat (0 if unreadable): unchanged by the exec.</summary>
    public long ProcStartTime { get; }

    /// <summary>True when the process waits before its exec: nothing of the script has run yet.</summary>
    public bool IsHeld => _held is not null;

    /// <summary>
    /// Lets a held process go on to its exec, then follows it (output, exit). Throws
    /// <see cref="ProcessStartException"/> when the exec fails.
    /// </summary>
    public SpawnedProcess Proceed()
    {
        try
        {
            _held?.Release();
        }
        catch
        {
            _stdoutRead.Dispose();
            _stderrRead.Dispose();
            throw;
        }

        return ProcessLauncher.Follow(Pid, ProcStartTime, _spec, _sink, _stdoutRead, _stderrRead);
    }

    /// <summary>Kills the process (a held one before its exec: the script never runs) and reaps it.</summary>
    public void Abandon()
    {
        if (_held is not null)
        {
            _held.Abandon();
        }
        else
        {
            ProcessLauncher.KillAndReap(Pid);
        }

        _stdoutRead.Dispose();
        _stderrRead.Dispose();
    }
}
