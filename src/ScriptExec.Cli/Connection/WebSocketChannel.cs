using System.Net.WebSockets;
using System.Text;

namespace ScriptExec.Cli.Connection;

/// <summary>JSON-RPC over the daemon's WebSocket endpoint: one message per text frame, bearer token on the upgrade.</summary>
internal sealed class WebSocketChannel : IMessageChannel
{
    private readonly ClientWebSocket _socket;
    private readonly Uri _uri;

    private WebSocketChannel(ClientWebSocket socket, Uri uri)
    {
        _socket = socket;
        _uri = uri;
    }

    public static async Task<WebSocketChannel> ConnectAsync(Uri uri, string token, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        socket.Options.CollectHttpResponseDetails = true;
        try
        {
            await socket.ConnectAsync(uri, cancellationToken);
            return new WebSocketChannel(socket, uri);
        }
        catch (Exception e) when (e is WebSocketException or HttpRequestException)
        {
            var status = (int)socket.HttpStatusCode;
            socket.Dispose();
            var reason = status switch
            {
                401 => "the daemon refused the token (HTTP 401); check --token, --token-file or SCRIPTEXEC_TOKEN",
                403 => "the daemon refused the connection (HTTP 403)",
                > 0 => $"the server answered HTTP {status} instead of upgrading to a WebSocket; is this scriptexecd's /rpc URL?",
                _ => e.InnerException?.Message ?? e.Message,
            };
            throw new DaemonUnavailableException($"cannot connect to scriptexecd at {uri}: {reason}", e);
        }
    }

    public async Task SendAsync(string message, CancellationToken cancellationToken)
    {
        try
        {
            await _socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        }
        catch (WebSocketException e)
        {
            throw Lost(e);
        }
    }

    public async Task<string?> ReceiveAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer, cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return null;
                }

                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    return Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
                }
            }
        }
        catch (WebSocketException e)
        {
            throw Lost(e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            // A polite close, but never hang on a daemon that does not answer it.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                // Closing anyway.
            }
        }

        _socket.Dispose();
    }

    private DaemonUnavailableException Lost(WebSocketException e) =>
        new($"the connection to scriptexecd at {_uri} was lost: {e.Message}", e);
}
