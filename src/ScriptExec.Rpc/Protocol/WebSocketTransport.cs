using System.Buffers;
using System.Net.WebSockets;

namespace ScriptExec.Rpc.Protocol;

/// <summary>WebSocket framing: one JSON-RPC message per WebSocket message, written as a single text frame.</summary>
/// <remarks>
/// Fragments are assembled into a pooled buffer that grows up to <see cref="MaxMessageBytes"/> plus one byte, the
/// byte that proves a message too large. The transport owns the socket and disposes it.
/// </remarks>
public sealed class WebSocketTransport : IMessageTransport
{
    private const int InitialBufferBytes = 4096;
    private static readonly TimeSpan CloseOnDisposeTimeout = TimeSpan.FromSeconds(2);

    private readonly WebSocket socket;
    private readonly SemaphoreSlim writeLock = new(1, 1);
    private byte[] buffer;
    private bool inputEnded;
    private bool disposed;

    public WebSocketTransport(WebSocket socket, int maxMessageBytes)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxMessageBytes);
        this.socket = socket;
        MaxMessageBytes = maxMessageBytes;
        buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialBufferBytes, maxMessageBytes + 1));
    }

    public int MaxMessageBytes { get; }

    public async ValueTask<TransportRead> ReadAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (inputEnded)
        {
            return TransportRead.EndOfStream;
        }

        int count = 0;
        while (true)
        {
            if (count == buffer.Length)
            {
                Grow(count);
            }

            // Never ask for more than one byte beyond the limit: that byte is enough to know it is exceeded.
            int window = Math.Min(buffer.Length - count, MaxMessageBytes + 1 - count);
            ValueWebSocketReceiveResult received;
            try
            {
                received = await socket.ReceiveAsync(buffer.AsMemory(count, window), cancellationToken);
            }
            catch (WebSocketException)
            {
                // The peer vanished without a close handshake; for us that is the end of the stream.
                inputEnded = true;
                return TransportRead.EndOfStream;
            }

            if (received.MessageType == WebSocketMessageType.Close)
            {
                inputEnded = true;
                await CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
                return TransportRead.EndOfStream;
            }

            count += received.Count;
            if (count > MaxMessageBytes)
            {
                inputEnded = true;
                return TransportRead.TooLarge;
            }

            if (received.EndOfMessage)
            {
                return TransportRead.FromMessage(new ReadOnlySequence<byte>(buffer, 0, count));
            }
        }
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        await writeLock.WaitAsync(cancellationToken);
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            }
        }
        finally
        {
            writeLock.Release();
        }
    }

    public ValueTask CloseAsync(bool tooLarge, CancellationToken cancellationToken)
    {
        inputEnded = true;
        return tooLarge
            ? CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "message too large", cancellationToken)
            : CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        inputEnded = true;
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

        socket.Dispose();
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = [];
    }

    private async ValueTask CloseOutputAsync(WebSocketCloseStatus status, string? description, CancellationToken cancellationToken)
    {
        // Sharing the write lock keeps the close frame from cutting into a message being sent.
        await writeLock.WaitAsync(cancellationToken);
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync(status, description, cancellationToken);
            }
        }
        catch (WebSocketException)
        {
            // The peer is already gone; there is nobody left to tell.
        }
        finally
        {
            writeLock.Release();
        }
    }

    private void Grow(int count)
    {
        byte[] larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, (long)MaxMessageBytes + 1));
        buffer.AsSpan(0, count).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = larger;
    }
}
