using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ScriptExec.Fleet.Tests;

/// <summary>
/// A management server for the outbound WebSocket: Kestrel on a free loopback port that accepts <c>/manage</c>
/// upgrades bearing the expected token (401 otherwise) and hands each accepted socket to the test.
/// </summary>
public sealed class ManagementServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<WebSocket> _accepted = Channel.CreateUnbounded<WebSocket>();
    private int _refused;

    private ManagementServer(string token, int port)
    {
        Port = port;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        _app = builder.Build();
        _app.UseWebSockets();
        _app.Map("/manage", async context =>
        {
            if (context.Request.Headers.Authorization.ToString() != $"Bearer {token}" || !context.WebSockets.IsWebSocketRequest)
            {
                Interlocked.Increment(ref _refused);
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }

            var socket = await context.WebSockets.AcceptWebSocketAsync();
            var ended = new TaskCompletionSource();
            await _accepted.Writer.WriteAsync(new HeldSocket(socket, ended));
            await ended.Task;
        });
    }

    public int Port { get; }

    public string Url => $"ws://127.0.0.1:{Port}/manage";

    /// <summary>Upgrades refused for a missing or wrong token.</summary>
    public int Refused => Volatile.Read(ref _refused);

    public static async Task<ManagementServer> StartAsync(string token)
    {
        var server = new ManagementServer(token, DaemonUnderTest.FreePort());
        await server._app.StartAsync();
        return server;
    }

    /// <summary>The next connection the daemon makes, within a bound.</summary>
    public async Task<WebSocket> AcceptAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await _accepted.Reader.ReadAsync(timeout.Token);
    }

    public static Task SendAsync(WebSocket socket, string message) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    /// <summary>The next whole message from the daemon, within a bound.</summary>
    public static async Task<JsonNode> ReceiveAsync(WebSocket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, timeout.Token);
            Assert.That(received.MessageType, Is.EqualTo(WebSocketMessageType.Text), "the daemon keeps the connection open");
            message.Write(buffer, 0, received.Count);
            if (received.EndOfMessage)
            {
                return JsonNode.Parse(message.ToArray())!;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>An accepted socket whose request stays open until the test is done with it.</summary>
    private sealed class HeldSocket(WebSocket inner, TaskCompletionSource ended) : WebSocket
    {
        public override WebSocketCloseStatus? CloseStatus => inner.CloseStatus;

        public override string? CloseStatusDescription => inner.CloseStatusDescription;

        public override WebSocketState State => inner.State;

        public override string? SubProtocol => inner.SubProtocol;

        public override void Abort()
        {
            inner.Abort();
            ended.TrySetResult();
        }

        public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) =>
            inner.CloseAsync(closeStatus, statusDescription, cancellationToken);

        public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) =>
            inner.CloseOutputAsync(closeStatus, statusDescription, cancellationToken);

        public override void Dispose()
        {
            inner.Dispose();
            ended.TrySetResult();
        }

        public override Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken) =>
            inner.ReceiveAsync(buffer, cancellationToken);

        public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
            inner.SendAsync(buffer, messageType, endOfMessage, cancellationToken);
    }
}
