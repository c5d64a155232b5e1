using System.Net.WebSockets;
using System.Text;
using Nerdbank.Streams;
using ScriptExec.Rpc.Protocol;

namespace ScriptExec.Rpc.Tests.Protocol;

/// <summary>WebSocket framing: fragments assembled, the limit enforced, the close handshake answered.</summary>
public sealed class WebSocketTransportTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [TestCase(WebSocketMessageType.Text)]
    [TestCase(WebSocketMessageType.Binary)]
    public async Task Fragments_of_one_message_are_assembled_past_the_initial_buffer(WebSocketMessageType type)
    {
        (WebSocket client, WebSocketTransport transport) = Connect(maxMessageBytes: 64 * 1024);
        await using var _ = transport;
        string message = new('m', 20_000);

        await SendInFragmentsAsync(client, message, type, fragmentBytes: 3000);
        TransportRead read = await transport.ReadAsync(CancellationToken.None).AsTask().WaitAsync(Timeout);

        Assert.That(read.Kind, Is.EqualTo(TransportReadKind.Message));
        Assert.That(Encoding.UTF8.GetString(read.Message), Is.EqualTo(message));
    }

    [TestCase(100, TransportReadKind.Message)]
    [TestCase(101, TransportReadKind.TooLarge)]
    public async Task Messages_over_the_limit_are_too_large_even_in_fragments(int length, TransportReadKind expected)
    {
        (WebSocket client, WebSocketTransport transport) = Connect(maxMessageBytes: 100);
        await using var _ = transport;

        Task sending = SendInFragmentsAsync(client, new string('x', length), WebSocketMessageType.Text, fragmentBytes: 30);
        TransportRead read = await transport.ReadAsync(CancellationToken.None).AsTask().WaitAsync(Timeout);

        Assert.That(read.Kind, Is.EqualTo(expected));
        await sending.WaitAsync(Timeout);
    }

    [Test]
    public async Task Too_large_closes_with_message_too_big()
    {
        (WebSocket client, WebSocketTransport transport) = Connect(maxMessageBytes: 10);
        await using var _ = transport;

        await client.SendAsync(new byte[11], WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        Assert.That((await transport.ReadAsync(CancellationToken.None)).Kind, Is.EqualTo(TransportReadKind.TooLarge));
        await transport.CloseAsync(tooLarge: true, CancellationToken.None);
        WebSocketReceiveResult closed = await client.ReceiveAsync(new byte[16], CancellationToken.None).WaitAsync(Timeout);

        Assert.That(closed.MessageType, Is.EqualTo(WebSocketMessageType.Close));
        Assert.That(closed.CloseStatus, Is.EqualTo(WebSocketCloseStatus.MessageTooBig));
    }

    [Test]
    public async Task A_close_frame_ends_the_stream_and_is_answered()
    {
        (WebSocket client, WebSocketTransport transport) = Connect(maxMessageBytes: 100);
        await using var _ = transport;

        Task closing = client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        TransportRead read = await transport.ReadAsync(CancellationToken.None).AsTask().WaitAsync(Timeout);
        await closing.WaitAsync(Timeout);

        Assert.That(read.Kind, Is.EqualTo(TransportReadKind.EndOfStream));
        Assert.That(client.State, Is.EqualTo(WebSocketState.Closed));
    }

    [Test]
    public async Task Each_write_is_one_text_message()
    {
        (WebSocket client, WebSocketTransport transport) = Connect(maxMessageBytes: 100);
        await using var _ = transport;

        await transport.WriteAsync("{\"a\":1}"u8.ToArray(), CancellationToken.None);
        byte[] buffer = new byte[64];
        WebSocketReceiveResult received = await client.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(Timeout);

        Assert.That(received.MessageType, Is.EqualTo(WebSocketMessageType.Text));
        Assert.That(received.EndOfMessage, Is.True);
        Assert.That(Encoding.UTF8.GetString(buffer, 0, received.Count), Is.EqualTo("{\"a\":1}"));
    }

    private static (WebSocket Client, WebSocketTransport Transport) Connect(int maxMessageBytes)
    {
        (Stream serverStream, Stream clientStream) = FullDuplexStream.CreatePair();
        var server = WebSocket.CreateFromStream(serverStream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = System.Threading.Timeout.InfiniteTimeSpan });
        var client = WebSocket.CreateFromStream(clientStream, new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = System.Threading.Timeout.InfiniteTimeSpan });
        return (client, new WebSocketTransport(server, maxMessageBytes));
    }

    private static async Task SendInFragmentsAsync(WebSocket client, string message, WebSocketMessageType type, int fragmentBytes)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(message);
        for (int offset = 0; offset < bytes.Length; offset += fragmentBytes)
        {
            int count = Math.Min(fragmentBytes, bytes.Length - offset);
            await client.SendAsync(bytes.AsMemory(offset, count), type, offset + count == bytes.Length, CancellationToken.None);
        }
    }
}
