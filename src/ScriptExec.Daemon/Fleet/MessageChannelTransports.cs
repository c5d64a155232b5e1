using System.Buffers;
using ScriptExec.Rpc.Protocol;

namespace ScriptExec.Daemon.Fleet;

/// <summary>
/// One exchange of a message channel as a transport: it yields the one inbound message (or reports it too large),
/// then the end of the stream; what the front layer writes back goes to <c>reply</c> (nowhere when there is no one
/// to reply to). The front layer writes every reply before it lets the exchange end.
/// </summary>
internal sealed class ExchangeTransport(ReadOnlyMemory<byte> message, int maxMessageBytes, Action<byte[]>? reply) : IMessageTransport
{
    private bool _read;

    public int MaxMessageBytes { get; } = maxMessageBytes;

    // The message arrived whole before the exchange began.
    public TimeSpan? MessageTimeout => null;

    public ValueTask<TransportRead> ReadAsync(CancellationToken cancellationToken)
    {
        if (_read)
        {
            return ValueTask.FromResult(TransportRead.EndOfStream);
        }

        _read = true;
        return ValueTask.FromResult(message.Length > MaxMessageBytes
            ? TransportRead.TooLarge
            : TransportRead.FromMessage(new ReadOnlySequence<byte>(message)));
    }

    public ValueTask WriteAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        // Copied: notification buffers are pooled and reused once this returns.
        reply?.Invoke(message.ToArray());
        return ValueTask.CompletedTask;
    }

    public ValueTask CloseAsync(bool tooLarge, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// The write-only side of a message channel: its standing subscription's notifications go to <c>publish</c>; it
/// reads nothing, and ends when disposed.
/// </summary>
internal sealed class NotificationTransport(int maxMessageBytes, Action<byte[]> publish) : IMessageTransport
{
    private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int MaxMessageBytes { get; } = maxMessageBytes;

    public TimeSpan? MessageTimeout => null;

    public async ValueTask<TransportRead> ReadAsync(CancellationToken cancellationToken)
    {
        await _disposed.Task.WaitAsync(cancellationToken);
        return TransportRead.EndOfStream;
    }

    public ValueTask WriteAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        publish(message.ToArray());
        return ValueTask.CompletedTask;
    }

    public ValueTask CloseAsync(bool tooLarge, CancellationToken cancellationToken)
    {
        _disposed.TrySetResult();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _disposed.TrySetResult();
        return ValueTask.CompletedTask;
    }
}
