using System.Collections.Concurrent;
using System.Threading.Channels;
using ScriptExec.Core;
using ScriptExec.Store;
using ScriptExec.Supervisor;
using StreamJsonRpc;

namespace ScriptExec.Rpc.Methods;

/// <summary>
/// One connection's subscriptions. The supervisor's events only ever try to enqueue (never wait), into one
/// bounded queue per connection; a pump sends what is queued as notifications, batching consecutive output
/// lines. A client that reads slowly or not at all fills its own queue: further events for it are counted as
/// dropped and the count is sent with its next delivered notification, so nothing is lost silently and neither
/// the supervisor nor other clients wait.
/// </summary>
public sealed class ExecutionSubscriptions : IDisposable
{
    /// <summary>Queued notification payload kept per connection at most (line contents and executions).</summary>
    public const int QueueBudgetBytes = 1024 * 1024;

    private const int MaxLinesPerNotification = 500;

    private readonly ExecutionSupervisor _supervisor;
    private readonly ExecutionStore _executions;
    private readonly ConcurrentDictionary<long, Subscription> _subscriptions = new();
    private readonly ConcurrentDictionary<long, Execution?> _known = new();
    private readonly Channel<Item> _queue = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _closed = new();
    private long _queuedBytes;
    private long _nextId;
    private Task _pump = Task.CompletedTask;

    public ExecutionSubscriptions(ExecutionSupervisor supervisor, ExecutionStore executions)
    {
        _supervisor = supervisor;
        _executions = executions;
    }

    /// <summary>Starts delivering over <paramref name="rpc"/>; call once the connection exists.</summary>
    public void Attach(JsonRpc rpc)
    {
        _supervisor.ExecutionChanged += OnExecutionChanged;
        _supervisor.OutputCaptured += OnOutputCaptured;
        _pump = PumpAsync(rpc, _closed.Token);
    }

    public long Add(ExecutionFilter filter, bool output)
    {
        var id = Interlocked.Increment(ref _nextId);
        _subscriptions[id] = new Subscription(id, filter, output);
        return id;
    }

    public bool Remove(long id) => _subscriptions.TryRemove(id, out _);

    public void Dispose()
    {
        _supervisor.ExecutionChanged -= OnExecutionChanged;
        _supervisor.OutputCaptured -= OnOutputCaptured;
        _queue.Writer.TryComplete();
        _closed.Cancel();
        _closed.Dispose();
    }

    private void OnExecutionChanged(Execution execution)
    {
        if (execution.State.IsActive())
        {
            _known[execution.Id] = execution;
        }
        else
        {
            // Ended: its output is complete, forget it (bounds the cache).
            _known.TryRemove(execution.Id, out _);
        }

        foreach (var subscription in _subscriptions.Values)
        {
            if (subscription.Filter.Matches(execution))
            {
                Enqueue(subscription, new Item(subscription, execution, null, 0), 512);
            }
        }
    }

    private void OnOutputCaptured(long executionId, OutputLine line)
    {
        if (_subscriptions.IsEmpty || !_subscriptions.Values.Any(s => s.Output))
        {
            return;
        }

        // Lines can arrive before the execution's first change event; read it once and cache it.
        var execution = _known.GetOrAdd(executionId, id => _executions.Get(id));
        if (execution is null)
        {
            return;
        }

        foreach (var subscription in _subscriptions.Values)
        {
            if (subscription.Output && subscription.Filter.Matches(execution))
            {
                Enqueue(subscription, new Item(subscription, null, line, executionId), 64 + (line.Content.Length * 2));
            }
        }
    }

    private void Enqueue(Subscription subscription, Item item, int bytes)
    {
        if (Interlocked.Add(ref _queuedBytes, bytes) > QueueBudgetBytes)
        {
            Interlocked.Add(ref _queuedBytes, -bytes);
            Interlocked.Increment(ref subscription.Dropped);
            return;
        }

        if (!_queue.Writer.TryWrite(item with { Bytes = bytes }))
        {
            Interlocked.Add(ref _queuedBytes, -bytes);
        }
    }

    private async Task PumpAsync(JsonRpc rpc, CancellationToken cancellationToken)
    {
        var reader = _queue.Reader;
        var lines = new List<LineDto>(MaxLinesPerNotification);
        Item? carried = null;
        try
        {
            while (true)
            {
                if (carried is null && !reader.TryRead(out carried))
                {
                    // Caught up: report any overflow now rather than with a next notification that may never come.
                    await SendDropNoticesAsync(rpc);
                    if (!await reader.WaitToReadAsync(cancellationToken))
                    {
                        return;
                    }

                    continue;
                }

                var item = carried;
                carried = null;
                Release(item);
                if (!_subscriptions.ContainsKey(item.Subscription.Id))
                {
                    continue;
                }

                if (item.Execution is { } execution)
                {
                    await rpc.NotifyWithParameterObjectAsync("execution_changed", new ExecutionChangedNotification(
                        item.Subscription.Id, ExecutionDto.From(execution), TakeDropped(item.Subscription)));
                    continue;
                }

                // Batch the lines that follow for the same subscription and execution.
                lines.Clear();
                lines.Add(LineDto.From(item.Line!));
                while (lines.Count < MaxLinesPerNotification && reader.TryRead(out var next))
                {
                    if (next.Line is null || next.Subscription != item.Subscription || next.ExecutionId != item.ExecutionId)
                    {
                        carried = next;
                        break;
                    }

                    Release(next);
                    lines.Add(LineDto.From(next.Line));
                }

                await rpc.NotifyWithParameterObjectAsync("execution_output", new ExecutionOutputNotification(
                    item.Subscription.Id, item.ExecutionId, [.. lines], TakeDropped(item.Subscription)));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or ConnectionLostException)
        {
            // The connection ended; its subscriptions end with it.
        }
    }

    private async Task SendDropNoticesAsync(JsonRpc rpc)
    {
        foreach (var subscription in _subscriptions.Values)
        {
            if (TakeDropped(subscription) is { } dropped)
            {
                await rpc.NotifyWithParameterObjectAsync("execution_dropped", new ExecutionDroppedNotification(subscription.Id, dropped));
            }
        }
    }

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
    }

    private sealed record Item(Subscription Subscription, Execution? Execution, OutputLine? Line, long ExecutionId)
    {
        public int Bytes { get; init; }
    }
}

/// <summary>Params of the execution_changed notification.</summary>
public sealed record ExecutionChangedNotification(long SubscriptionId, ExecutionDto Execution, long? Dropped);

/// <summary>Params of the execution_dropped notification: sent when the queue has drained after an overflow.</summary>
public sealed record ExecutionDroppedNotification(long SubscriptionId, long Dropped);

/// <summary>Params of the execution_output notification.</summary>
public sealed record ExecutionOutputNotification(long SubscriptionId, long ExecutionId, IReadOnlyList<LineDto> Lines, long? Dropped);
