using System.Diagnostics;

namespace ScriptExec.Supervisor.Processes;

/// <summary>
/// A running child in its own session: its outcome, its captured output and signals to its whole process group.
/// Disposing it kills the group if it is still running, because nobody would watch it any more.
/// </summary>
public sealed class SpawnedProcess : IDisposable
{
    // Leftovers in the group are killed when the main process exits, so output normally ends at once; only a process
    // that escaped into its own session can hold a socket open, and it must not hold up the outcome for long.
    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(2);
    private const int WaiterStackBytes = 256 * 1024;

    private readonly Lock _gate = new();
    private readonly OutputCapture _output;
    private readonly long _startTimestamp;
    private readonly TaskCompletionSource<ProcessOutcome> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Guarded by _gate. Once reaped, the pid (and so the group id) may be reused by an unrelated process.
    private bool _reaped;

    internal SpawnedProcess(int pid, long procStartTime, long startTimestamp, OutputCapture output)
    {
        Pid = pid;
        ProcStartTime = procStartTime;
        _startTimestamp = startTimestamp;
        _output = output;
    }

    /// <summary>The pid of the main process, which is also its process-group id and session id.</summary>
    public int Pid { get; }

    /// <summary>Field 22 of /proc/&lt;pid&gt;/stat just after spawn (0 if unreadable): with the boot id it identifies this process across a daemon restart.</summary>
    public long ProcStartTime { get; }

    /// <summary>Completes once the main process is reaped and its output drained; faults only if waitid itself fails.</summary>
    public Task<ProcessOutcome> Completion => _completion.Task;

    /// <summary>True once the main process has exited and been reaped.</summary>
    public bool HasExited
    {
        get
        {
            lock (_gate)
            {
                return _reaped;
            }
        }
    }

    /// <summary>Sends <paramref name="signal"/> to the whole process group; false once the process was reaped or kill failed.</summary>
    public bool SignalGroup(int signal)
    {
        lock (_gate)
        {
            return !_reaped && NativeMethods.Kill(-Pid, signal) == 0;
        }
    }

    public void Dispose()
    {
        SignalGroup(Signals.SIGKILL);
        _output.Abort();
    }

    internal void StartWaiter()
    {
        // Where the kernel has pidfds one thread watches every process and reaps each as it exits (no wait then: it is
        // a zombie already); else a blocking waitid per process is the only way to get the true outcome without racing
        // the runtime's own SIGCHLD reaping (a thread doing nothing else). The output drains asynchronously.
        if (ExitWatcher.Shared?.TryWatch(Pid, () => _ = CompleteAsync()) == true)
        {
            return;
        }

        var thread = new Thread(() => CompleteAsync().GetAwaiter().GetResult(), WaiterStackBytes) { IsBackground = true, Name = "waitid" };
        thread.Start();
    }

    /// <summary>Reaps the process (waiting for its exit unless it has exited), then lets its output drain.</summary>
    private async Task CompleteAsync()
    {
        try
        {
            var outcome = WaitAndReap();
            if (!await DrainedAsync())
            {
                _output.Abort();
                await DrainedAsync();
            }

            _output.Dispose();
            _completion.TrySetResult(outcome);
        }
        catch (Exception ex)
        {
            _output.Dispose();
            _completion.TrySetException(ex);
        }
    }

    private async Task<bool> DrainedAsync()
    {
        try
        {
            await _output.Completion.WaitAsync(DrainGrace);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private ProcessOutcome WaitAndReap()
    {
        var error = NativeMethods.WaitExited(Pid, keepZombie: true, out _, out _);
        var exitTimestamp = Stopwatch.GetTimestamp();
        int code = 0, status = 0;
        lock (_gate)
        {
            if (error == 0)
            {
                // The leader is still an unreaped zombie, so the group id is still ours: no pid-reuse race.
                NativeMethods.Kill(-Pid, Signals.SIGKILL);
                error = NativeMethods.WaitExited(Pid, keepZombie: false, out code, out status);
            }

            // Even on failure: someone else reaped it, so the pid is no longer safe to signal.
            _reaped = true;
        }

        if (error != 0)
        {
            throw new InvalidOperationException($"waitid {Pid}: {NativeMethods.ErrorText(error)}");
        }

        var durationMs = (long)Stopwatch.GetElapsedTime(_startTimestamp, exitTimestamp).TotalMilliseconds;
        var signaled = code is NativeMethods.CLD_KILLED or NativeMethods.CLD_DUMPED;
        return new ProcessOutcome(signaled, status, durationMs);
    }
}
