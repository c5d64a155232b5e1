using System.Buffers;
using System.Net.WebSockets;

namespace ScriptExec.Rpc.Protocol;

/// <summary>WebSocket framing: one JSON-RPC message per WebSocket message, written as a single text frame.</summary>
/// <remarks>
/// Fragments are assembled into a pooled buffer that grows up to <see cref="MaxMessageBytes"/> plus one byte, the
/// byte that proves a message too large. Once a message has started, the rest of it may take at most
/// <see cref="MessageTimeout"/> of waiting; when that is spent the socket is aborted. On its own the transport can
/// only start that clock once a first frame has arrived whole; given the <see cref="WebSocketDeadlineStream"/> under
/// the socket, the clock starts at a frame's first byte. The transport owns the socket and disposes it.
/// </remarks>
public sealed class WebSocketTransport : IMessageTransport
{
    private const int InitialBufferBytes = 4096;
    private static readonly TimeSpan CloseOnDisposeTimeout = TimeSpan.FromSeconds(2);

    private readonly WebSocket _socket;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly TimeProvider _timeProvider;
    private readonly WebSocketDeadlineStream? _deadlines;
    private byte[] _buffer;

    // Waiting time left for the rest of the message being read.
    private TimeSpan _messageTimeLeft;
    private bool _inputEnded;
    private bool _disposed;

    /// <param name="messageTimeout">How long the rest of a started message may keep us waiting; null for no limit.</param>
    /// <param name="timeProvider">The clock of <paramref name="messageTimeout"/>; the system clock by default.</param>
    /// <param name="deadlines">
    /// The stream under <paramref name="socket"/> when it times messages from their first byte; it then replaces the
    /// transport's own timing, which can only start once a first frame has arrived whole.
    /// </param>
    public WebSocketTransport(
        WebSocket socket, int maxMessageBytes, TimeSpan? messageTimeout = null, TimeProvider? timeProvider = null, WebSocketDeadlineStream? deadlines = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxMessageBytes);
        if (messageTimeout is { } timeout)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero, nameof(messageTimeout));
        }

        _socket = socket;
        _deadlines = deadlines;
        _timeProvider = timeProvider ?? TimeProvider.System;
        MaxMessageBytes = maxMessageBytes;
        MessageTimeout = messageTimeout;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialBufferBytes, maxMessageBytes + 1));
    }

    public int MaxMessageBytes { get; }

    public TimeSpan? MessageTimeout { get; }

    public async ValueTask<TransportRead> ReadAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_inputEnded)
        {
            return TransportRead.EndOfStream;
        }

        int count = 0;
        bool started = false;
        _messageTimeLeft = MessageTimeout ?? TimeSpan.Zero;
        while (true)
        {
            if (count == _buffer.Length)
            {
                Grow(count);
            }

            // Never ask for more than one byte beyond the limit: that byte is enough to know it is exceeded.
            Memory<byte> window = _buffer.AsMemory(count, Math.Min(_buffer.Length - count, MaxMessageBytes + 1 - count));
            ValueWebSocketReceiveResult? receivedInTime;
            try
            {
                receivedInTime = started && MessageTimeout is not null && _deadlines is null
                    ? await ReceiveRestOfMessageAsync(window, cancellationToken)
                    : await _socket.ReceiveAsync(window, cancellationToken);
            }
            catch (WebSocketException)
            {
                // The peer vanished without a close handshake, or the stream below ended it for a message too slow.
                _inputEnded = true;
                return _deadlines is { TimedOut: true } ? TransportRead.TimedOut : TransportRead.EndOfStream;
            }

            if (receivedInTime is not { } received)
            {
                _inputEnded = true;
                return TransportRead.TimedOut;
            }

            started = true;
            if (received.MessageType == WebSocketMessageType.Close)
            {
                _inputEnded = true;
                await CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
                return TransportRead.EndOfStream;
            }

            count += received.Count;
            if (count > MaxMessageBytes)
            {
                _inputEnded = true;
                return TransportRead.TooLarge;
            }

            if (received.EndOfMessage)
            {
                return TransportRead.FromMessage(new ReadOnlySequence<byte>(_buffer, 0, count));
            }
        }
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public ValueTask CloseAsync(bool tooLarge, CancellationToken cancellationToken)
    {
        _inputEnded = true;
        return tooLarge
            ? CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "message too large", cancellationToken)
            : CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _inputEnded = true;
        using (var timeout = new CancellationTokenSource(CloseOnDisposeTimeout))
        {
            try
            {
                await CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // A send stuck on a peer that never reads; disposing the socket below aborts it.
            }
        }

        _socket.Dispose();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private async ValueTask CloseOutputAsync(WebSocketCloseStatus status, string? description, CancellationToken cancellationToken)
    {
        // Sharing the write lock keeps the close frame from cutting into a message being sent.
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync(status, description, cancellationToken);
            }
        }
        catch (WebSocketException)
        {
            // The peer is already gone; there is nobody left to tell.
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Receives more of a started message, waiting at most for the time it has left; null once that is spent.</summary>
    private async ValueTask<ValueWebSocketReceiveResult?> ReceiveRestOfMessageAsync(Memory<byte> window, CancellationToken cancellationToken)
    {
        if (_messageTimeLeft <= TimeSpan.Zero)
        {
            return null;
        }

        using var deadline = new CancellationTokenSource(_messageTimeLeft, _timeProvider);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        long waitStarted = _timeProvider.GetTimestamp();
        try
        {
            return await _socket.ReceiveAsync(window, either.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException
            && deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Cancelling a receive aborts the socket: there is no way left to tell the peer why.
            return null;
        }
        finally
        {
            _messageTimeLeft -= _timeProvider.GetElapsedTime(waitStarted);
        }
    }

    private void Grow(int count)
    {
        byte[] larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)_buffer.Length * 2, (long)MaxMessageBytes + 1));
        _buffer.AsSpan(0, count).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }
}
