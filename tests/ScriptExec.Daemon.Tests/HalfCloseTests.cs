using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace ScriptExec.Daemon.Tests;

/// <summary>`echo '{…}' | socat - UNIX-CONNECT:…`: the client half-closes right after its request and still gets the reply.</summary>
public sealed class HalfCloseTests
{
    [Test]
    public async Task A_client_that_half_closes_after_its_requests_still_gets_every_reply()
    {
        await using var daemon = await DaemonUnderTest.StartAsync();
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(daemon.SocketPath));

        await socket.SendAsync(Encoding.UTF8.GetBytes(
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"script_set\",\"params\":{\"name\":\"hc\",\"source\":\"true\"}}\n" +
            "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"script_overview_get\"}\n"));
        socket.Shutdown(SocketShutdown.Send);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token)) > 0)
        {
            received.Write(buffer, 0, read);
        }

        var replies = Encoding.UTF8.GetString(received.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonNode.Parse(line)!).OrderBy(r => r["id"]!.GetValue<int>()).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(replies, Has.Count.EqualTo(2));
            Assert.That(replies[0]["result"]!["version"], Is.Not.Null);
            Assert.That(replies[1]["result"]!["scripts"]![0]!["name"]!.GetValue<string>(), Is.EqualTo("hc"));
        });
    }
}
