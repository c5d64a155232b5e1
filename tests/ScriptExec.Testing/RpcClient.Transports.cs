using System.Net.Sockets;
using System.Net.WebSockets;

namespace ScriptExec.Testing;

/// <summary>The two framings: one message per line on the Unix socket (NDJSON), one per text frame on the WebSocket.</summary>
public sealed partial class RpcClient
{
    public static async Task<RpcClient> ConnectUnixAsync(string path, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var stream = new NetworkStream(socket, ownsSocket: true);
        var sendLock = new SemaphoreSlim(1, 1);
        var client = new RpcClient(
            async (message, token) =>
            {
                // One write per line, newline included; overlapping calls must not interleave their bytes.
                var line = new byte[message.Length + 1];
                message.CopyTo(line);
                line[^1] = (byte)'\n';
                await sendLock.WaitAsync(token);
                try
                {
                    await stream.WriteAsync(line, token);
                    await stream.FlushAsync(token);
                }
                finally
                {
                    sendLock.Release();
                }
            },
            async () =>
            {
                try
                {
                    socket.Shutdown(SocketShutdown.Both);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // Already closed by the server.
                }

                await stream.DisposeAsync();
            });
        _ = Task.Run(() => client.ReadLinesAsync(stream), CancellationToken.None);
        return client;
    }

    public static Task<RpcClient> ConnectWebSocketAsync(Uri uri, string token, CancellationToken cancellationToken = default) =>
        ConnectWebSocketAsync(uri, o => o.SetRequestHeader("Authorization", "Bearer " + token), cancellationToken);

    /// <summary>A WebSocket client whose upgrade request <paramref name="configure"/> shapes (headers such as Origin, or none).</summary>
    public static async Task<RpcClient> ConnectWebSocketAsync(Uri uri, Action<ClientWebSocketOptions> configure, CancellationToken cancellationToken = default)
    {
        var socket = new ClientWebSocket();
        configure(socket.Options);
        await socket.ConnectAsync(uri, cancellationToken);
        var sendLock = new SemaphoreSlim(1, 1);
        var client = new RpcClient(
            async (message, cancel) =>
            {
                await sendLock.WaitAsync(cancel);
                try
                {
                    await socket.SendAsync(message, WebSocketMessageType.Text, true, cancel);
                }
                finally
                {
                    sendLock.Release();
                }
            },
            async () =>
            {
                try
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                }
                catch (WebSocketException)
                {
                    // The server went first.
                }

                socket.Dispose();
            });
        _ = client.ReadFramesAsync(socket);
        return client;
    }

    private async Task ReadLinesAsync(Stream stream)
    {
        var buffer = new byte[64 * 1024];
        var count = 0;
        try
        {
            while (true)
            {
                if (count == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                var read = await stream.ReadAsync(buffer.AsMemory(count));
                if (read == 0)
                {
                    break;
                }

                var scanFrom = count;
                count += read;
                var start = 0;
                int newline;
                while ((newline = buffer.AsSpan(scanFrom, count - scanFrom).IndexOf((byte)'\n')) >= 0)
                {
                    var end = scanFrom + newline;
                    Dispatch(buffer.AsSpan(start, end - start));
                    start = scanFrom = end + 1;
                }

                if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, count - start);
                    count -= start;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Closed by us or by the daemon: waiting calls end below.
        }
        finally
        {
            EndPendingCalls();
        }
    }

    private async Task ReadFramesAsync(ClientWebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    Dispatch(message.GetBuffer().AsSpan(0, (int)message.Length));
                    message.SetLength(0);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Closed by us or by the daemon: waiting calls end below.
        }
        finally
        {
            EndPendingCalls();
        }
    }
}
