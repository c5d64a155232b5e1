using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using ScriptExec.Rpc.Results;
using ScriptExec.Core;
using ScriptExec.Supervisor;
using ScriptExec.Supervisor.Workflows;
using StreamJsonRpc;

namespace ScriptExec.Rpc.Sessions;

/// <summary>
/// One connection's subscriptions, and its listener at the <see cref="OutputDispatcher"/>: the connection is a
/// listener only while it has a subscription, and receives output only while one asked for it. What the dispatcher
/// hands over is only ever enqueued (never waited on), into one bounded queue per connection; a pump sends what is
/// queued as notifications, batching consecutive output lines. Output batches are shared with every other
/// subscriber, not copied. A client that reads slowly or not at all fills its own queue: further events for it are
/// counted as dropped and the count is sent with its next delivered notification, so nothing is lost silently and
/// neither the supervisor nor other clients wait.
/// </summary>
public sealed class ExecutionSubscriptions : IExecutionListener, IDisposable
{
    /// <summary>Queued notification payload kept per connection at most (line contents and executions).</summary>
    public const int QueueBudgetBytes = 1024 * 1024;

    private const int MaxLinesPerNotification = 500;

    // Serialized lines per notification: keeps each message well under the large object heap's threshold, and what a
    // stalled client's connection holds in its send buffers small.
    private const int MaxLineBytesPerNotification = 32 * 1024;
    private const int ChangeBytes = 512;

    private readonly OutputDispatcher _dispatcher;
    private readonly InstanceRestarts? _restarts;
    private readonly Lock _subscriptionsLock = new();
    private readonly Channel<Item> _queue = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _closed = new();

    // Copy-on-write: the dispatcher's loop reads it for every item without a lock.
    private Subscription[] _subscriptions = [];
    private bool _disposed;
    private long _queuedBytes;
    private long _nextId;
    private Task _pump = Task.CompletedTask;

    public ExecutionSubscriptions(OutputDispatcher dispatcher, InstanceRestarts? restarts = null)
    {
        _dispatcher = dispatcher;
        _restarts = restarts;
        if (restarts is not null)
        {
            restarts.GaveUp += OnRestartsGaveUp;
        }
    }

    /// <summary>Starts delivering over <paramref name="rpc"/>; call once the connection exists.</summary>
    public void Attach(JsonRpc rpc)
    {
        _pump = PumpAsync(rpc, _closed.Token);
    }

    public long Add(ExecutionFilter filter, bool output)
    {
        var id = Interlocked.Increment(ref _nextId);
        lock (_subscriptionsLock)
        {
            _subscriptions = [.. _subscriptions, new Subscription(id, filter, output)];
            UpdateInterest();
        }

        return id;
    }

    public bool Remove(long id)
    {
        lock (_subscriptionsLock)
        {
            if (Array.Find(_subscriptions, s => s.Id == id) is not { } removed)
            {
                return false;
            }

            removed.Removed = true;
            _subscriptions = Array.FindAll(_subscriptions, s => s != removed);
            UpdateInterest();
            return true;
        }
    }

    public void Dispose()
    {
        lock (_subscriptionsLock)
        {
            _disposed = true;
            _subscriptions = [];
            _dispatcher.SetInterest(this, changes: false, output: false);
        }

        if (_restarts is not null)
        {
            _restarts.GaveUp -= OnRestartsGaveUp;
        }

        _queue.Writer.TryComplete();
        _closed.Cancel();
        _closed.Dispose();
    }

    void IExecutionListener.OnChanged(Execution execution)
    {
        foreach (var subscription in Volatile.Read(ref _subscriptions))
        {
            if (subscription.Filter.Matches(execution))
            {
                Enqueue(new Item(subscription, execution, null, ChangeBytes), 1);
            }
        }
    }

    private void OnRestartsGaveUp(Execution execution, int restarts, int windowSeconds)
    {
        foreach (var subscription in Volatile.Read(ref _subscriptions))
        {
            if (subscription.Filter.Matches(execution))
            {
                Enqueue(new Item(subscription, execution, null, ChangeBytes) { GaveUp = (restarts, windowSeconds) }, 1);
            }
        }
    }

    void IExecutionListener.OnOutput(Execution execution, CapturedOutput output)
    {
        foreach (var subscription in Volatile.Read(ref _subscriptions))
        {
            if (!subscription.Output || !subscription.Filter.Matches(execution))
            {
                continue;
            }

            if (output.DroppedBefore > 0)
            {
                Interlocked.Add(ref subscription.Dropped, output.DroppedBefore);
            }

            if (output.Lines.Count > 0)
            {
                Enqueue(new Item(subscription, null, output, output.QueuedBytes), output.Lines.Count);
            }
            else
            {
                // Only a drop to report: wake the pump, which reports drops once it has caught up.
                _queue.Writer.TryWrite(new Item(null, null, null, 0));
            }
        }
    }

    private void UpdateInterest()
    {
        if (!_disposed)
        {
            _dispatcher.SetInterest(this, _subscriptions.Length > 0, _subscriptions.Any(s => s.Output));
        }
    }

    private void Enqueue(Item item, int events)
    {
        if (Interlocked.Add(ref _queuedBytes, item.Bytes) > QueueBudgetBytes)
        {
            Interlocked.Add(ref _queuedBytes, -item.Bytes);
            Interlocked.Add(ref item.Subscription!.Dropped, events);
            return;
        }

        if (!_queue.Writer.TryWrite(item))
        {
            Interlocked.Add(ref _queuedBytes, -item.Bytes);
        }
    }

    private async Task PumpAsync(JsonRpc rpc, CancellationToken cancellationToken)
    {
        var reader = _queue.Reader;
        var lines = new List<byte[]>(MaxLinesPerNotification);

        // An output batch only partly sent (a notification holds at most MaxLinesPerNotification lines).
        Item? carried = null;
        var carriedFrom = 0;
        try
        {
            while (true)
            {
                Item item;
                var from = 0;
                if (carried is { } rest)
                {
                    (item, from, carried) = (rest, carriedFrom, null);
                }
                else if (reader.TryRead(out var next))
                {
                    item = next;
                    Release(item);
                }
                else
                {
                    // Caught up: report any overflow now rather than with a next notification that may never come.
                    await SendDropNoticesAsync(rpc);
                    if (!await reader.WaitToReadAsync(cancellationToken))
                    {
                        return;
                    }

                    continue;
                }

                if (item.Subscription is not { Removed: false } subscription)
                {
                    continue;
                }

                if (item is { Execution: { } gaveUpOn, GaveUp: var (restarts, window) })
                {
                    await NotifyAsync(rpc, "instance_restart_gave_up", new RestartGaveUpNotification(
                        subscription.Id, gaveUpOn.ScriptName, gaveUpOn.InstanceName, gaveUpOn.Id, restarts, window, TakeDropped(subscription)));
                    continue;
                }

                if (item.Execution is { } execution)
                {
                    await NotifyAsync(rpc, "execution_changed", new ExecutionChangedNotification(
                        subscription.Id, ExecutionDto.From(execution), TakeDropped(subscription)));
                    continue;
                }

                // Batch what follows for the same subscription and execution, up to a notification's worth.
                var output = item.Output!;
                lines.Clear();
                var bytes = 0;
                if (Take(output, from, lines, ref bytes) is var taken && taken < output.Lines.Count)
                {
                    (carried, carriedFrom) = (item, taken);
                }

                while (carried is null && IsRoomFor(lines, bytes) && reader.TryPeek(out var following)
                       && following.Subscription == subscription && following.Output?.ExecutionId == output.ExecutionId)
                {
                    reader.TryRead(out _);
                    Release(following);
                    if (Take(following.Output, 0, lines, ref bytes) is var more && more < following.Output.Lines.Count)
                    {
                        (carried, carriedFrom) = (following, more);
                    }
                }

                await NotifyAsync(rpc, "execution_output", new ExecutionOutputNotification(
                    subscription.Id, output.ExecutionId, new SharedLinesJson([.. lines]), TakeDropped(subscription)));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or ConnectionLostException)
        {
            // The connection ended; its subscriptions end with it.
        }
    }

    /// <summary>Adds lines of <paramref name="output"/> from <paramref name="from"/> until a notification is full; returns where it stopped.</summary>
    private static int Take(CapturedOutput output, int from, List<byte[]> lines, ref int bytes)
    {
        var serialized = SharedLinesJson.Of(output);
        var next = from;
        while (next < serialized.Length && (lines.Count == 0 || IsRoomFor(lines, bytes)))
        {
            var line = serialized[next++];
            lines.Add(line);
            bytes += line.Length;
        }

        return next;
    }

    private static bool IsRoomFor(List<byte[]> lines, int bytes) =>
        lines.Count < MaxLinesPerNotification && bytes < MaxLineBytesPerNotification;

    private async Task SendDropNoticesAsync(JsonRpc rpc)
    {
        foreach (var subscription in Volatile.Read(ref _subscriptions))
        {
            if (TakeDropped(subscription) is { } dropped)
            {
                await NotifyAsync(rpc, "execution_dropped", new ExecutionDroppedNotification(subscription.Id, dropped));
            }
        }
    }

    /// <summary>Sends a notification whose params object is <paramref name="notification"/>, serialized as a whole.</summary>
    [UnconditionalSuppressMessage(
        "Trimming",
        "IL2026:RequiresUnreferencedCode",
        Justification = "SystemTextJsonFormatter writes a params object as one value with RpcJson.Options, whose resolver is the build-time RpcJsonContext; every notification type is listed there (RpcJsonContextTests).")]
    private static Task NotifyAsync<TNotification>(JsonRpc rpc, string method, TNotification notification)
        where TNotification : class =>
        rpc.NotifyWithParameterObjectAsync(method, (object)notification);

    private void Release(Item item) => Interlocked.Add(ref _queuedBytes, -item.Bytes);

    private static long? TakeDropped(Subscription subscription)
    {
        var dropped = Interlocked.Exchange(ref subscription.Dropped, 0);
        return dropped == 0 ? null : dropped;
    }

    private sealed class Subscription(long id, ExecutionFilter filter, bool output)
    {
        public long Dropped;

        public long Id { get; } = id;

        public ExecutionFilter Filter { get; } = filter;

        public bool Output { get; } = output;

        /// <summary>Set on unsubscribe: what is still queued for it is skipped.</summary>
        public volatile bool Removed;
    }

    /// <summary>A change, an output batch, or (neither) a wake-up to report drops.</summary>
    private sealed record Item(Subscription? Subscription, Execution? Execution, CapturedOutput? Output, int Bytes)
    {
        /// <summary>Set when the item tells that <see cref="Execution"/>'s instance gave up restarting: (restarts, window_s).</summary>
        public (int Restarts, int WindowSeconds)? GaveUp { get; init; }
    }
}
