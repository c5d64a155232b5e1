using System.Text.Json.Nodes;

namespace ScriptExec.Fleet.Tests;

/// <summary>The outbound WebSocket against a test management server: bearer token, JSON-RPC both ways, reconnection.</summary>
[TestFixture]
public sealed class OutboundWebSocketTests
{
    [Test]
    public async Task The_daemon_dials_out_serves_requests_and_notifications_and_dials_again_when_dropped()
    {
        await using var server = await ManagementServer.StartAsync("manager-token");
        await using var daemon = await FleetDaemon.StartAsync(new JsonObject
        {
            ["outbound"] = new JsonObject
            {
                ["url"] = server.Url,
                ["token"] = "manager-token",
                ["role"] = "operator",
                ["reconnect_min_ms"] = 100,
                ["reconnect_max_ms"] = 1000,
            },
        });
        await FleetDaemon.AddScriptAsync(daemon, "remote");

        var first = await server.AcceptAsync();
        await ManagementServer.SendAsync(first, FleetDaemon.Request(1, "execution_subscribe"));
        var subscribed = await ManagementServer.ReceiveAsync(first);
        await ManagementServer.SendAsync(first, FleetDaemon.Request(2, "script_start", new { script_name = "remote", instance_name = "main" }));

        JsonNode? started = null;
        JsonNode? notification = null;
        while (started is null || notification is null)
        {
            var message = await ManagementServer.ReceiveAsync(first);
            if (message["id"] is not null)
            {
                started = message;
            }
            else
            {
                notification ??= message;
            }
        }

        Assert.That(subscribed["result"]!["subscription_id"], Is.Not.Null);
        Assert.That(started["result"]!["execution"]!["script_name"]!.GetValue<string>(), Is.EqualTo("remote"));
        Assert.That((string)notification["method"]!, Is.EqualTo("execution_changed"));
        Assert.That((string)notification["params"]!["execution"]!["script_name"]!, Is.EqualTo("remote"));
        var status = await FleetDaemon.StatusAsync(daemon);
        Assert.That(status["clients"]!["outbound_websocket"]!.GetValue<int>(), Is.EqualTo(1));

        first.Abort();
        var second = await server.AcceptAsync();
        await ManagementServer.SendAsync(second, FleetDaemon.Request("again", "status"));
        var reply = await ManagementServer.ReceiveAsync(second);
        Assert.That((string)reply["id"]!, Is.EqualTo("again"));
        Assert.That(reply["result"]!["pid"]!.GetValue<int>(), Is.EqualTo(daemon.Pid));
        var channel = await FleetDaemon.ChannelAsync(daemon, "outbound_websocket");
        Assert.That(channel["connects"]!.GetValue<long>(), Is.EqualTo(2));
        second.Abort();
    }

    [Test]
    public async Task A_refused_token_is_retried_with_backoff_and_shown_in_status()
    {
        await using var server = await ManagementServer.StartAsync("expected");
        await using var daemon = await FleetDaemon.StartAsync(new JsonObject
        {
            ["outbound"] = new JsonObject { ["url"] = server.Url, ["token"] = "wrong", ["reconnect_min_ms"] = 50, ["reconnect_max_ms"] = 200 },
        });

        await Eventually.ThatAsync(() => server.Refused >= 3, "the daemon to try again after refusals");

        var channel = await FleetDaemon.ChannelAsync(daemon, "outbound_websocket");
        Assert.That((bool)channel["connected"]!, Is.False);
        Assert.That((string)channel["last_error"]!, Does.Contain("401"));
        Assert.That((string)channel["role"]!, Is.EqualTo("viewer"));
    }
}
