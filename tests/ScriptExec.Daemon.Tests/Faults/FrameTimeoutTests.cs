using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace ScriptExec.Daemon.Tests.Faults;

/// <summary>
/// A WebSocket frame begun and never finished (a header announcing a payload, part of it, then silence) is closed by
/// message_timeout_s, as an unfinished NDJSON line is; idle connections are not.
/// </summary>
[Category("Faults")]
[NonParallelizable]
public sealed class FrameTimeoutTests
{
    private const int PartialFrames = 50;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Test]
    public async Task Fifty_partial_frames_are_all_closed_by_the_message_timeout_and_an_idle_client_is_still_served()
    {
        var dataDir = Directory.CreateTempSubdirectory("scriptexec-test-").FullName;
        var config = Path.Combine(dataDir, "config.json");
        await File.WriteAllTextAsync(config, """{"message_timeout_s": 1}""");
        await using var daemon = await DaemonUnderTest.StartAsync(dataDir, "--config", config);
        await using var idle = await daemon.ConnectAsync("websocket");

        // A whole control frame (a pong, as keep-alive replies are) starts no message: the connection stays idle.
        using var ponged = await UpgradeAsync(daemon.Port, daemon.Token);
        await ponged.SendAsync(MaskedFrame(0x8A, []));
        var partial = new List<Socket>();
        try
        {
            for (int i = 0; i < PartialFrames; i++)
            {
                var socket = await UpgradeAsync(daemon.Port, daemon.Token);
                await socket.SendAsync(PartialFrame(announced: 1000, sent: 10));
                partial.Add(socket);
            }

            var closed = await Task.WhenAll(partial.Select(WaitUntilClosedAsync));
            var status = await idle.CallAsync("status");
            await ponged.SendAsync(MaskedFrame(0x81, Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":1,"method":"status"}""")));
            var reply = new byte[2];
            using var timeout = new CancellationTokenSource(Bound);
            int replyBytes = await ponged.ReceiveAsync(reply, SocketFlags.None, timeout.Token);

            Assert.Multiple(() =>
            {
                Assert.That(closed.Count(c => c), Is.EqualTo(PartialFrames), $"connections closed within {Bound}");
                Assert.That(status["pid"]!.GetValue<int>(), Is.EqualTo(daemon.Pid));
                Assert.That(replyBytes > 0 ? reply[0] : -1, Is.EqualTo(0x81), "the connection that sent a pong is answered with a text frame");
            });
        }
        finally
        {
            foreach (var socket in partial)
            {
                socket.Dispose();
            }
        }
    }

    /// <summary>The start of a masked text frame (as a client must send it) announcing <paramref name="announced"/> bytes.</summary>
    private static byte[] PartialFrame(int announced, int sent)
    {
        var frame = new byte[8 + sent];
        frame[0] = 0x81;
        frame[1] = 0x80 | 126;
        frame[2] = (byte)(announced >> 8);
        frame[3] = (byte)announced;
        RandomNumberGenerator.Fill(frame.AsSpan(4, 4));
        frame.AsSpan(8).Fill((byte)('x' ^ frame[4]));
        return frame;
    }

    /// <summary>A whole masked frame with FIN set: <paramref name="first"/> is FIN plus the opcode.</summary>
    private static byte[] MaskedFrame(byte first, byte[] payload)
    {
        var frame = new byte[6 + payload.Length];
        frame[0] = first;
        frame[1] = (byte)(0x80 | payload.Length);
        RandomNumberGenerator.Fill(frame.AsSpan(2, 4));
        for (int i = 0; i < payload.Length; i++)
        {
            frame[6 + i] = (byte)(payload[i] ^ frame[2 + (i % 4)]);
        }

        return frame;
    }

    private static async Task<Socket> UpgradeAsync(int port, string token)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        await socket.SendAsync(Encoding.ASCII.GetBytes(
            "GET /rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
            + $"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer {token}\r\n\r\n"));
        var head = new StringBuilder();
        var buffer = new byte[1];
        using var timeout = new CancellationTokenSource(Bound);

        // Byte by byte up to the blank line, so that nothing after the handshake is taken from the socket.
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) == 0)
            {
                break;
            }

            head.Append((char)buffer[0]);
        }

        Assert.That(head.ToString(), Does.StartWith("HTTP/1.1 101"));
        return socket;
    }

    /// <summary>Reads (and drops, e.g. keep-alive pings) until the daemon closes or resets; false if it has not within the bound.</summary>
    private static async Task<bool> WaitUntilClosedAsync(Socket socket)
    {
        var buffer = new byte[256];
        using var timeout = new CancellationTokenSource(Bound);
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) > 0)
            {
            }

            return true;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
