using System.Net.Sockets;
using System.Net.WebSockets;
using System.Threading.Channels;

namespace ScriptExec.Daemon.Tests.Support;

/// <summary>
/// A bare connection for tests that send what no well-behaved client would: any bytes on the Unix socket, any
/// frames on the WebSocket. Every message the server sends (a line, or a WebSocket message) is kept as raw bytes.
/// </summary>
public abstract class RawConnection : IAsyncDisposable
{
    private readonly Channel<byte[]> _messages = Channel.CreateUnbounded<byte[]>();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the server has closed (or reset) the connection and every message before that is kept.</summary>
    public Task Closed => _closed.Task;

    /// <summary>The server's messages in arrival order; completes when the connection is closed.</summary>
    public ChannelReader<byte[]> Messages => _messages.Reader;

    /// <summary>The close status the server sent, for WebSocket connections that ended with a close frame.</summary>
    public WebSocketCloseStatus? CloseStatus { get; protected set; }

    public static async Task<RawConnection> OpenUnixAsync(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var connection = new UnixConnection(socket);
        connection.StartReading();
        return connection;
    }

    /// <summary>Opens a WebSocket with the bearer token; throws <see cref="WebSocketException"/> if the upgrade is refused.</summary>
    public static async Task<RawConnection> OpenWebSocketAsync(Uri uri, string token)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        socket.Options.KeepAliveInterval = Timeout.InfiniteTimeSpan;
        try
        {
            await socket.ConnectAsync(uri, CancellationToken.None);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var connection = new WebSocketConnection(socket);
        connection.StartReading();
        return connection;
    }

    /// <summary>
    /// Sends bytes as they are (on the WebSocket: one frame, text unless <paramref name="binary"/>, ending its message
    /// unless <paramref name="endOfMessage"/> is false); false when the connection is already gone.
    /// </summary>
    public abstract Task<bool> TrySendAsync(ReadOnlyMemory<byte> bytes, bool endOfMessage = true, bool binary = false);

    /// <summary>Tells the server nothing more will come (half-close); false when the connection is already gone.</summary>
    public abstract Task<bool> TryCompleteSendingAsync();

    /// <summary>The next message as text, or null once the server has closed the connection; fails the test if neither comes in time.</summary>
    public async Task<string?> NextMessageAsync(TimeSpan? timeout = null)
    {
        try
        {
            byte[] message = await _messages.Reader.ReadAsync().AsTask().WaitAsync(timeout ?? RpcClient.ReplyTimeout);
            return System.Text.Encoding.UTF8.GetString(message);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
        catch (TimeoutException)
        {
            Assert.Fail($"the server neither sent a message nor closed the connection within {timeout ?? RpcClient.ReplyTimeout}");
            throw;
        }
    }

    /// <summary>Waits until the server has closed the connection; fails the test if it does not in time.</summary>
    public async Task WaitUntilClosedAsync(TimeSpan timeout)
    {
        try
        {
            await Closed.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"the server did not close the connection within {timeout}");
        }
    }

    public abstract ValueTask DisposeAsync();

    protected void Received(byte[] message) => _messages.Writer.TryWrite(message);

    protected void Ended()
    {
        _messages.Writer.TryComplete();
        _closed.TrySetResult();
    }

    private protected abstract Task ReadAsync();

    private void StartReading() => _ = ReadAsync();

    private sealed class UnixConnection(Socket socket) : RawConnection
    {
        private readonly SemaphoreSlim _sendLock = new(1, 1);

        public override async Task<bool> TrySendAsync(ReadOnlyMemory<byte> bytes, bool endOfMessage = true, bool binary = false)
        {
            await _sendLock.WaitAsync();
            try
            {
                while (!bytes.IsEmpty)
                {
                    int sent = await socket.SendAsync(bytes, SocketFlags.None);
                    bytes = bytes[sent..];
                }

                return true;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return false;
            }
            finally
            {
                _sendLock.Release();
            }
        }

        public override async Task<bool> TryCompleteSendingAsync()
        {
            await _sendLock.WaitAsync();
            try
            {
                socket.Shutdown(SocketShutdown.Send);
                return true;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return false;
            }
            finally
            {
                _sendLock.Release();
            }
        }

        public override async ValueTask DisposeAsync()
        {
            socket.Dispose();
            await Closed.WaitAsync(RpcClient.ReplyTimeout);
            _sendLock.Dispose();
        }

        private protected override async Task ReadAsync()
        {
            byte[] buffer = new byte[64 * 1024];
            var line = new MemoryStream();
            try
            {
                while (true)
                {
                    int count = await socket.ReceiveAsync(buffer, SocketFlags.None);
                    if (count == 0)
                    {
                        break;
                    }

                    int start = 0;
                    for (int i = 0; i < count; i++)
                    {
                        if (buffer[i] == (byte)'\n')
                        {
                            line.Write(buffer, start, i - start);
                            Received(line.ToArray());
                            line.SetLength(0);
                            start = i + 1;
                        }
                    }

                    line.Write(buffer, start, count - start);
                }

                if (line.Length > 0)
                {
                    // A last line without its newline is still something the server said.
                    Received(line.ToArray());
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Reset by the server, or disposed by the test: either way the connection is over.
            }
            finally
            {
                Ended();
            }
        }
    }

    private sealed class WebSocketConnection(ClientWebSocket socket) : RawConnection
    {
        private readonly SemaphoreSlim _sendLock = new(1, 1);

        public override async Task<bool> TrySendAsync(ReadOnlyMemory<byte> bytes, bool endOfMessage = true, bool binary = false)
        {
            await _sendLock.WaitAsync();
            try
            {
                await socket.SendAsync(bytes, binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, endOfMessage, CancellationToken.None);
                return true;
            }
            catch (Exception e) when (e is WebSocketException or ObjectDisposedException or IOException or InvalidOperationException)
            {
                return false;
            }
            finally
            {
                _sendLock.Release();
            }
        }

        public override async Task<bool> TryCompleteSendingAsync()
        {
            await _sendLock.WaitAsync();
            try
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                return true;
            }
            catch (Exception e) when (e is WebSocketException or ObjectDisposedException or IOException or InvalidOperationException)
            {
                return false;
            }
            finally
            {
                _sendLock.Release();
            }
        }

        public override async ValueTask DisposeAsync()
        {
            socket.Abort();
            socket.Dispose();
            await Closed.WaitAsync(RpcClient.ReplyTimeout);
            _sendLock.Dispose();
        }

        private protected override async Task ReadAsync()
        {
            byte[] buffer = new byte[64 * 1024];
            var message = new MemoryStream();
            try
            {
                while (true)
                {
                    ValueWebSocketReceiveResult result = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        CloseStatus = socket.CloseStatus;
                        break;
                    }

                    message.Write(buffer, 0, result.Count);
                    if (result.EndOfMessage)
                    {
                        Received(message.ToArray());
                        message.SetLength(0);
                    }
                }
            }
            catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException or IOException)
            {
                // Aborted by the server, or disposed by the test: either way the connection is over.
            }
            finally
            {
                Ended();
            }
        }
    }
}
