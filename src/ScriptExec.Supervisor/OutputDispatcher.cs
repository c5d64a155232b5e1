using System.Threading.Channels;
using ScriptExec.Core;
using ScriptExec.Store;

namespace ScriptExec.Supervisor;

/// <summary>
/// Delivers execution changes and captured output to the listeners (client connections with subscriptions) off the
/// capture path. Capture hands over one batch per read and never waits: when output is queued beyond
/// <see cref="MaxPendingBytes"/> the batch is refused and its capture counts the lines as dropped. One loop then
/// looks the listeners up for each item as they are at that moment (so a subscriber added mid-run receives the rest
/// of the run) and lets each queue what it wants. Connections with no subscription, or none with output, are not
/// listeners for output at all: capture costs the same whatever the clients do.
/// </summary>
public sealed class OutputDispatcher : IAsyncDisposable
{
    /// <summary>Output queued for the loop at most; far more than the loop needs, since it only hands on references.</summary>
    public const int MaxPendingBytes = 4 * 1024 * 1024;

    private readonly ExecutionStore _executions;
    private readonly Channel<Item> _queue = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _listenersLock = new();
    private readonly Task _loop;

    // Copy-on-write, so the loop and the capture read them without a lock.
    private IExecutionListener[] _changeListeners = [];
    private IExecutionListener[] _outputListeners = [];
    private long _pendingBytes;

    // Executions with output on the way, as last changed; touched by the loop only.
    private readonly Dictionary<long, Execution> _active = [];

    public OutputDispatcher(ExecutionStore executions)
    {
        _executions = executions;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>True when some listener wants output; capture skips collecting batches otherwise.</summary>
    public bool HasOutputListeners => Volatile.Read(ref _outputListeners).Length > 0;

    /// <summary>
    /// Sets what <paramref name="listener"/> receives: changes (it has a subscription), output (one of them asked for
    /// it), or nothing (it is removed). Takes effect from the next item the loop dispatches.
    /// </summary>
    public void SetInterest(IExecutionListener listener, bool changes, bool output)
    {
        lock (_listenersLock)
        {
            _changeListeners = With(_changeListeners, listener, changes);
            _outputListeners = With(_outputListeners, listener, output);
        }
    }

    /// <summary>Queues a committed change; never refused (changes are few, and their order with output matters).</summary>
    public void PublishChange(Execution execution) => _queue.Writer.TryWrite(new Item(execution, null));

    /// <summary>
    /// Queues captured output unless the loop is that far behind; never waits. <paramref name="force"/> queues it
    /// anyway: for the one last batch of an execution, which must report what was dropped before it.
    /// </summary>
    public bool TryPublish(CapturedOutput output, bool force = false)
    {
        if (Interlocked.Add(ref _pendingBytes, output.QueuedBytes) > MaxPendingBytes && !force)
        {
            Interlocked.Add(ref _pendingBytes, -output.QueuedBytes);
            return false;
        }

        if (!_queue.Writer.TryWrite(new Item(null, output)))
        {
            Interlocked.Add(ref _pendingBytes, -output.QueuedBytes);
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }

    private static IExecutionListener[] With(IExecutionListener[] listeners, IExecutionListener listener, bool present)
    {
        var index = Array.IndexOf(listeners, listener);
        return (present, index >= 0) switch
        {
            (true, false) => [.. listeners, listener],
            (false, true) => [.. listeners[..index], .. listeners[(index + 1)..]],
            _ => listeners,
        };
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync())
        {
            while (reader.TryRead(out var item))
            {
                if (item.Change is { } execution)
                {
                    Dispatch(execution);
                }
                else
                {
                    Interlocked.Add(ref _pendingBytes, -item.Output!.QueuedBytes);
                    Dispatch(item.Output);
                }
            }
        }
    }

    private void Dispatch(Execution execution)
    {
        if (execution.State.IsActive())
        {
            _active[execution.Id] = execution;
        }
        else
        {
            // Ended: all its output came before this change (capture completes before the end is recorded).
            _active.Remove(execution.Id);
        }

        foreach (var listener in Volatile.Read(ref _changeListeners))
        {
            try
            {
                listener.OnChanged(execution);
            }
            catch (ObjectDisposedException)
            {
                // A listener whose connection is closing: the others must still get theirs.
            }
        }
    }

    private void Dispatch(CapturedOutput output)
    {
        var listeners = Volatile.Read(ref _outputListeners);
        if (listeners.Length == 0)
        {
            return;
        }

        if (!_active.TryGetValue(output.ExecutionId, out var execution))
        {
            // Lines can come before the start's change is published: read the execution once. Keep it only while
            // it is active, so a straggler after the end cannot leave it here for good.
            Execution? stored;
            try
            {
                stored = _executions.Get(output.ExecutionId);
            }
            catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException)
            {
                // Without the execution no filter can be applied; these lines go to the store only.
                return;
            }

            if (stored is null)
            {
                return;
            }

            execution = stored;
            if (stored.State.IsActive())
            {
                _active[stored.Id] = stored;
            }
        }

        foreach (var listener in listeners)
        {
            try
            {
                listener.OnOutput(execution, output);
            }
            catch (ObjectDisposedException)
            {
                // As for changes.
            }
        }
    }

    private readonly record struct Item(Execution? Change, CapturedOutput? Output);
}
