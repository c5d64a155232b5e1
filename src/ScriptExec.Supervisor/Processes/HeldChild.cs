using System.Runtime.InteropServices;
using static ScriptExec.Supervisor.Processes.NativeMethods;

namespace ScriptExec.Supervisor.Processes;

/// <summary>
/// A child <see cref="HeldSpawn.Begin"/> holds at its gate, confined and not yet exec'd: released once its start is
/// recorded, or abandoned (SIGKILL, before it ran anything of the script). Exactly one of the two, once.
/// </summary>
internal sealed class HeldChild
{
    private readonly SpawnGates _gates;
    private readonly SpawnGates.Gate _gate;
    private readonly HeldSpawn.Spawner _spawner;
    private readonly int _arrived;
    private bool _settled;

    internal HeldChild(SpawnGates gates, SpawnGates.Gate gate, HeldSpawn.Spawner spawner, int arrived)
    {
        _gates = gates;
        _gate = gate;
        _spawner = spawner;
        _arrived = arrived;
    }

    /// <summary>The held child's pid, as the kernel lists it under the spawner thread.</summary>
    public int Pid { get; internal set; }

    /// <summary>
    /// Lets the child go on to its exec and waits until posix_spawn has returned. Throws
    /// <see cref="ProcessStartException"/> when the exec failed (posix_spawn reaped the child) or the gate cannot be
    /// opened (the child is killed).
    /// </summary>
    public void Release()
    {
        Settle();
        var release = HeldSpawn.OpenRetrying(_gate.Release, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (release < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            KillAndReap();
            throw new ProcessStartException($"open {_gate.Release}: {ErrorText(errno)}", errno);
        }

        _spawner.WaitDone();
        HeldSpawn.CloseIfOpen(release);
        Finish();
        if (_spawner.Failure is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>Kills the child before its exec and reaps it; the script never runs. Does nothing once settled.</summary>
    public void Abandon()
    {
        if (!_settled)
        {
            Settle();
            KillAndReap();
        }
    }

    private void Settle()
    {
        if (_settled)
        {
            throw new InvalidOperationException("the held child was already released or abandoned");
        }

        _settled = true;
    }

    private void KillAndReap()
    {
        var release = -1;
        if (!_spawner.Returned)
        {
            if (Pid > 0)
            {
                // Dies at its gate: posix_spawn returns (vfork semantics) with a child that never exec'd.
                Kill(Pid, Signals.SIGKILL);
            }
            else
            {
                // It could not be found: posix_spawn must return before it can be killed, so it is let go and killed
                // right after. If even that is refused, the spawner stays blocked and the gate is not reused.
                release = HeldSpawn.OpenRetrying(_gate.Release, O_RDWR | O_NONBLOCK | O_CLOEXEC);
                if (release < 0)
                {
                    HeldSpawn.CloseIfOpen(_arrived);
                    return;
                }
            }
        }

        _spawner.WaitDone();
        HeldSpawn.CloseIfOpen(release);
        Finish();
        if (_spawner.Pid > 0)
        {
            Kill(-_spawner.Pid, Signals.SIGKILL);
            Kill(_spawner.Pid, Signals.SIGKILL);
            WaitExited(_spawner.Pid, keepZombie: false, out _, out _);
        }
    }

    /// <summary>posix_spawn has returned: the gate's descriptors close and the pair is free for the next spawn.</summary>
    private void Finish()
    {
        HeldSpawn.CloseIfOpen(_arrived);
        HeldSpawn.CloseIfOpen(_spawner.ArrivedByUs);
        _gates.Return(_gate);
    }
}
