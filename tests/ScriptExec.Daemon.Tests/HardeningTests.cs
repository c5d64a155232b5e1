using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using ScriptExec.Daemon.Tests.Support;

namespace ScriptExec.Daemon.Tests;

/// <summary>
/// The daemon under hostile clients: oversized messages, hundreds of idle connections, half-sent messages, more
/// connections than allowed. Each limit answers or closes the one connection; the daemon keeps serving the rest.
/// </summary>
[NonParallelizable]
public sealed class HardeningTests
{
    private const int DefaultMaxMessageBytes = 1024 * 1024;
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(30);
    private static readonly byte[] StatusLine = Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":"probe","method":"status"}""" + "\n");

    [TestCase("unix")]
    [TestCase("websocket")]
    public async Task An_oversized_message_is_refused_with_invalid_request_and_the_daemon_serves_the_next_client(string transport)
    {
        await using var daemon = await DaemonUnderTest.StartAsync();
        await using var connection = await OpenRawAsync(daemon, transport);
        var oversized = Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":1,"method":"status","params":{"x":" """ + new string('x', DefaultMaxMessageBytes) + "\"}}\n");

        // Sent while reading: the daemon stops reading at the limit, so the rest may never be taken.
        var sending = connection.TrySendAsync(oversized);
        var reply = await connection.NextMessageAsync();
        await connection.WaitUntilClosedAsync(CloseTimeout);
        await sending;
        await using var next = await daemon.ConnectAsync(transport);
        var status = await next.CallAsync("status");

        // NDJSON always delivers the reply before the close. Over TCP the WebSocket's close may reset the
        // connection before the client has read it; then the close alone is the answer (and says 1009).
        if (transport == "unix" || reply is not null)
        {
            Assert.That(reply, Is.Not.Null, "no -32600 reply before the close");
            var error = JsonNode.Parse(reply!)!["error"]!;
            Assert.That(error["code"]!.GetValue<int>(), Is.EqualTo(-32600));
            Assert.That(error["message"]!.GetValue<string>(), Does.Contain($"exceeds {DefaultMaxMessageBytes} bytes"));
        }

        if (transport == "websocket" && connection.CloseStatus is { } closeStatus)
        {
            Assert.That(closeStatus, Is.EqualTo(WebSocketCloseStatus.MessageTooBig));
        }

        Assert.That(status["pid"]!.GetValue<int>(), Is.EqualTo(daemon.Pid));
    }

    [Test]
    public async Task A_WebSocket_text_frame_that_is_not_UTF8_closes_only_that_connection()
    {
        await using var daemon = await DaemonUnderTest.StartAsync();
        await using var bystander = await daemon.ConnectAsync("websocket");
        await using var connection = await RawConnection.OpenWebSocketAsync(daemon.WebSocketUri, daemon.Token);

        await connection.TrySendAsync(new byte[] { (byte)'{', 0xFF, (byte)'}' });
        await connection.WaitUntilClosedAsync(CloseTimeout);
        var status = await bystander.CallAsync("status");

        // The WebSocket layer sends close code 1007, but it also drops the TCP connection at once, so the client
        // does not always read the close frame first.
        Assert.That(connection.CloseStatus, Is.Null.Or.EqualTo(WebSocketCloseStatus.InvalidPayloadData));
        Assert.That(status["pid"]!.GetValue<int>(), Is.EqualTo(daemon.Pid));
    }

    [Test]
    public async Task Five_hundred_idle_connections_stay_open_and_a_new_client_is_served()
    {
        await using var daemon = await DaemonUnderTest.StartAsync();
        var idle = new List<RpcClient>();
        try
        {
            idle.AddRange(await Task.WhenAll(Enumerable.Range(0, 250).Select(_ => daemon.ConnectAsync("unix"))));
            idle.AddRange(await Task.WhenAll(Enumerable.Range(0, 250).Select(_ => daemon.ConnectAsync("websocket"))));

            await using var newcomer = await daemon.ConnectAsync("unix");
            var status = await newcomer.CallAsync("status");
            var oldest = await idle[0].CallAsync("status");
            var newestWebSocket = await idle[^1].CallAsync("status");

            // A connection is counted once its handler runs, a moment after the client's connect returns.
            if (Clients(status, "unix") < 251 || Clients(status, "websocket") < 250)
            {
                status = await Eventually.ValueAsync(
                    () => newcomer.CallAsync("status"),
                    s => Clients(s, "unix") >= 251 && Clients(s, "websocket") >= 250,
                    "every connection is counted",
                    CloseTimeout);
            }

            Assert.Multiple(() =>
            {
                Assert.That(status["pid"]!.GetValue<int>(), Is.EqualTo(daemon.Pid));
                Assert.That(idle.Count(c => c.Closed.Task.IsCompleted), Is.Zero, "idle connections closed by the daemon");
                Assert.That(oldest["pid"]!.GetValue<int>(), Is.EqualTo(daemon.Pid));
                Assert.That(newestWebSocket["pid"]!.GetValue<int>(), Is.EqualTo(daemon.Pid));
            });
        }
        finally
        {
            await Task.WhenAll(idle.Select(c => c.DisposeAsync().AsTask()));
        }
    }

    [Test]
    public async Task A_message_not_completed_within_message_timeout_closes_its_connection_while_idle_ones_stay()
    {
        await using var daemon = await StartWithConfigAsync("""{"message_timeout_s": 1}""");
        await using var idleUnix = await daemon.ConnectAsync("unix");
        await using var idleWebSocket = await daemon.ConnectAsync("websocket");
        await using var partialLine = await RawConnection.OpenUnixAsync(daemon.SocketPath);
        await using var partialFrame = await RawConnection.OpenWebSocketAsync(daemon.WebSocketUri, daemon.Token);

        await partialLine.TrySendAsync(Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":1,"method":"sta"""));
        await partialFrame.TrySendAsync(Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":1,"""), endOfMessage: false);
        var reply = await partialLine.NextMessageAsync(CloseTimeout);
        await partialLine.WaitUntilClosedAsync(CloseTimeout);
        await partialFrame.WaitUntilClosedAsync(CloseTimeout);

        // The idle connections were open all along, longer than the timeout: they must still be served.
        var unixStatus = await idleUnix.CallAsync("status");
        var webSocketStatus = await idleWebSocket.CallAsync("status");
        var error = JsonNode.Parse(reply!)!["error"]!;
        Assert.Multiple(() =>
        {
            Assert.That(error["code"]!.GetValue<int>(), Is.EqualTo(-32600));
            Assert.That(error["message"]!.GetValue<string>(), Does.Contain("not completed within 1 s"));
            Assert.That(unixStatus["pid"]!.GetValue<int>(), Is.EqualTo(daemon.Pid));
            Assert.That(webSocketStatus["pid"]!.GetValue<int>(), Is.EqualTo(daemon.Pid));
            Assert.That(idleUnix.Closed.Task.IsCompleted || idleWebSocket.Closed.Task.IsCompleted, Is.False);
        });
    }

    [Test]
    public async Task Connections_beyond_max_connections_are_refused_cleanly_and_existing_ones_keep_working()
    {
        await using var daemon = await StartWithConfigAsync("""{"max_connections": 4}""");
        var open = new List<RpcClient>
        {
            await daemon.ConnectAsync("unix"),
            await daemon.ConnectAsync("unix"),
            await daemon.ConnectAsync("websocket"),
            await daemon.ConnectAsync("websocket"),
        };
        try
        {
            foreach (var client in open)
            {
                await client.CallAsync("status");
            }

            await using var refusedUnix = await RawConnection.OpenUnixAsync(daemon.SocketPath);
            var refusal = await refusedUnix.NextMessageAsync();
            await refusedUnix.WaitUntilClosedAsync(CloseTimeout);
            var refusedWebSocket = Assert.ThrowsAsync<WebSocketException>(() => RawConnection.OpenWebSocketAsync(daemon.WebSocketUri, daemon.Token));
            var stillServed = await Task.WhenAll(open.Select(c => c.CallAsync("status")));

            // A slot is free again once the daemon has seen a connection go.
            await open[0].DisposeAsync();
            open.RemoveAt(0);
            var servedAgain = await WaitUntilServedAsync(daemon);

            var error = JsonNode.Parse(refusal!)!["error"]!;
            Assert.Multiple(() =>
            {
                Assert.That(JsonNode.Parse(refusal!)!["id"], Is.Null);
                Assert.That(error["code"]!.GetValue<int>(), Is.EqualTo(-32603));
                Assert.That(error["data"]!["reason"]!.GetValue<string>(), Is.EqualTo("capacity"));
                Assert.That(error["message"]!.GetValue<string>(), Does.Contain("at most 4"));
                Assert.That(refusedWebSocket!.Message, Does.Contain("503"));
                Assert.That(stillServed.Select(s => s["pid"]!.GetValue<int>()), Is.All.EqualTo(daemon.Pid));
                Assert.That(servedAgain, Is.True);
            });
        }
        finally
        {
            await Task.WhenAll(open.Select(c => c.DisposeAsync().AsTask()));
        }
    }

    [Test]
    public async Task A_client_that_half_closes_after_pipelining_gets_every_reply()
    {
        await using var daemon = await DaemonUnderTest.StartAsync();
        await using var connection = await RawConnection.OpenUnixAsync(daemon.SocketPath);
        var requests = string.Concat(Enumerable.Range(1, 200).Select(i => $$"""{"jsonrpc":"2.0","id":{{i}},"method":"status"}""" + "\n"));

        await connection.TrySendAsync(Encoding.UTF8.GetBytes(requests));
        await connection.TryCompleteSendingAsync();
        await connection.WaitUntilClosedAsync(CloseTimeout);
        var ids = new List<int>();
        while (connection.Messages.TryRead(out var message))
        {
            ids.Add(JsonNode.Parse(message)!["id"]!.GetValue<int>());
        }

        Assert.That(ids, Is.EquivalentTo(Enumerable.Range(1, 200)));
    }

    [Test]
    public async Task Concurrent_changes_to_scheduled_instances_never_fail_inside()
    {
        await using var daemon = await DaemonUnderTest.StartAsync();
        await using (var setup = await daemon.ConnectAsync("unix"))
        {
            await setup.CallAsync("script_set", new { name = "tick", source = "true" });
        }

        // Every instance change reloads the schedules; many at once must not trip over each other.
        var clients = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => daemon.ConnectAsync("unix")));
        var replies = await Task.WhenAll(clients.Select((client, c) => Task.Run(async () =>
        {
            var errors = new List<string>();
            for (var i = 0; i < 25; i++)
            {
                var reply = await client.CallRawAsync("script_instance_set", new
                {
                    script_name = "tick",
                    instance_name = $"i{c}-{i % 5}",
                    start_trigger = new { type = "schedule", setting = "0 0 1 1 *" },
                });
                if (reply["error"] is { } error)
                {
                    errors.Add(error.ToJsonString());
                }
            }

            return errors;
        })));
        await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));

        Assert.That(replies.SelectMany(e => e), Is.Empty);
    }

    private static int Clients(JsonNode status, string transport) => status["clients"]![transport]!.GetValue<int>();

    private static async Task<RawConnection> OpenRawAsync(DaemonUnderTest daemon, string transport) => transport == "unix"
        ? await RawConnection.OpenUnixAsync(daemon.SocketPath)
        : await RawConnection.OpenWebSocketAsync(daemon.WebSocketUri, daemon.Token);

    /// <summary>Starts a daemon with settings from a <c>--config</c> JSON file, kept in its own data dir.</summary>
    private static async Task<DaemonUnderTest> StartWithConfigAsync(string json)
    {
        var dataDir = Directory.CreateTempSubdirectory("scriptexec-test-").FullName;
        var config = Path.Combine(dataDir, "config.json");
        await File.WriteAllTextAsync(config, json);
        return await DaemonUnderTest.StartAsync(dataDir, "--config", config);
    }

    /// <summary>Tries a fresh Unix connection until one is served rather than refused.</summary>
    private static Task<bool> WaitUntilServedAsync(DaemonUnderTest daemon) =>
        Eventually.TryAsync(
            async () =>
            {
                await using var attempt = await RawConnection.OpenUnixAsync(daemon.SocketPath);
                await attempt.TrySendAsync(StatusLine);
                return await attempt.NextMessageAsync() is { } message && JsonNode.Parse(message)!["result"] is not null;
            },
            CloseTimeout);
}
