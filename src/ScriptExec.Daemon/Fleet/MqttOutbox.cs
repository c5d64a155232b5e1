namespace ScriptExec.Daemon.Fleet;

/// <summary>One message to publish: a reply or a notification (the online flag is published directly, never queued).</summary>
public sealed record OutgoingMessage(string Topic, byte[] Payload, byte[]? CorrelationData);

/// <summary>
/// What the MQTT channel has to publish, bounded in messages and in bytes. Writers never wait: while the broker is
/// away the queue fills, and beyond its bounds the oldest message is dropped and counted (a reply its requester
/// has likely given up on, or an event a newer one supersedes), as a slow WebSocket subscriber's overflow is.
/// </summary>
public sealed class MqttOutbox
{
    private readonly Lock _lock = new();
    private readonly LinkedList<OutgoingMessage> _queue = new();
    private readonly int _maxMessages;
    private readonly int _maxBytes;
    private long _bytes;
    private long _dropped;
    private TaskCompletionSource _available = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public MqttOutbox(int maxMessages, int maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxMessages);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        _maxMessages = maxMessages;
        _maxBytes = maxBytes;
    }

    /// <summary>Messages waiting.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Messages dropped since start because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues <paramref name="message"/>; returns how many older messages it pushed out (0 normally).</summary>
    public int Enqueue(OutgoingMessage message)
    {
        var dropped = 0;
        lock (_lock)
        {
            if (message.Payload.Length > _maxBytes)
            {
                // Larger than the whole queue may hold: it alone is dropped, the queue stays as it is.
                Interlocked.Increment(ref _dropped);
                return 1;
            }

            _queue.AddLast(message);
            _bytes += message.Payload.Length;
            while (_queue.Count > _maxMessages || _bytes > _maxBytes)
            {
                _bytes -= _queue.First!.Value.Payload.Length;
                _queue.RemoveFirst();
                dropped++;
            }

            _available.TrySetResult();
        }

        if (dropped > 0)
        {
            Interlocked.Add(ref _dropped, dropped);
        }

        return dropped;
    }

    /// <summary>The oldest message, left in the queue until <see cref="Remove"/>: a publish that fails keeps it for the next connection.</summary>
    public async Task<OutgoingMessage> PeekAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (_queue.First is { } first)
                {
                    return first.Value;
                }

                if (_available.Task.IsCompleted)
                {
                    _available = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                wait = _available.Task;
            }

            await wait.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Removes <paramref name="message"/> once published, unless it was already dropped.</summary>
    public void Remove(OutgoingMessage message)
    {
        lock (_lock)
        {
            if (_queue.First is { } first && ReferenceEquals(first.Value, message))
            {
                _bytes -= message.Payload.Length;
                _queue.RemoveFirst();
            }
        }
    }
}
