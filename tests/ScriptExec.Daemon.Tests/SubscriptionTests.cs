using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using ScriptExec.Daemon.Tests.Support;

namespace ScriptExec.Daemon.Tests;

/// <summary>execution_subscribe: live state changes and output, per connection, with bounded queues.</summary>
public sealed class SubscriptionTests : TransportFixture
{
    public SubscriptionTests(string transport)
        : base(transport)
    {
    }

    [Test]
    public async Task Subscriber_receives_running_finished_and_the_lines_live()
    {
        var (script, instance) = await CreateAsync("for i in 1 2 3; do echo line $i; done; echo err >&2");
        var subscription = (await Client.CallAsync("execution_subscribe", new
        {
            filter = new { instances = new[] { new { script_name = script } } },
            output = true,
        }))["subscription_id"]!.GetValue<long>();

        var id = (await Client.CallAsync("script_start", new { script_name = script, instance_name = instance }))["execution"]!["id"]!.GetValue<long>();
        var states = new List<string>();
        var lines = new List<(string Content, string Stream)>();
        while (!states.Contains("finished"))
        {
            var n = await Client.NextNotificationAsync();
            var p = n["params"]!;
            Assert.That(p["subscription_id"]!.GetValue<long>(), Is.EqualTo(subscription));
            switch (n["method"]!.GetValue<string>())
            {
                case "execution_changed":
                    Assert.That(p["execution"]!["id"]!.GetValue<long>(), Is.EqualTo(id));
                    states.Add(p["execution"]!["state"]!.GetValue<string>());
                    break;
                case "execution_output":
                    Assert.That(p["execution_id"]!.GetValue<long>(), Is.EqualTo(id));
                    lines.AddRange(p["lines"]!.AsArray().Select(l => (l!["content"]!.GetValue<string>(), l["stream"]!.GetValue<string>())));
                    break;
                default:
                    Assert.Fail("unexpected notification " + n.ToJsonString());
                    break;
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(states, Is.EqualTo(new[] { "running", "finished" }));
            Assert.That(lines.Where(l => l.Stream == "stdout").Select(l => l.Content), Is.EqualTo(new[] { "line 1", "line 2", "line 3" }));
            Assert.That(lines.Where(l => l.Stream == "stderr").Select(l => l.Content), Is.EqualTo(new[] { "err" }));
        });
    }

    [Test]
    public async Task Filter_limits_notifications_and_unsubscribe_ends_them()
    {
        var (watched, watchedInstance) = await CreateAsync("true");
        var (other, otherInstance) = await CreateAsync("true");
        var subscription = (await Client.CallAsync("execution_subscribe", new
        {
            filter = new { instances = new[] { new { script_name = watched } } },
        }))["subscription_id"]!.GetValue<long>();

        await Client.CallAsync("script_start", new { script_name = other, instance_name = otherInstance });
        var id = (await Client.CallAsync("script_start", new { script_name = watched, instance_name = watchedInstance }))["execution"]!["id"]!.GetValue<long>();
        var seen = new List<long>();
        while (true)
        {
            var execution = (await Client.NextNotificationAsync())["params"]!["execution"]!;
            seen.Add(execution["id"]!.GetValue<long>());
            if (execution["state"]!.GetValue<string>() == "finished")
            {
                break;
            }
        }

        await Client.CallAsync("execution_unsubscribe", new { subscription_id = subscription });
        var again = await Client.CallErrorAsync("execution_unsubscribe", new { subscription_id = subscription });

        Assert.Multiple(() =>
        {
            Assert.That(seen, Is.All.EqualTo(id));
            Assert.That(again["data"]!["reason"]!.GetValue<string>(), Is.EqualTo("not_found"));
        });
    }
}

/// <summary>A subscriber that never reads must slow down neither the supervisor nor other clients.</summary>
public sealed class SlowSubscriberTests
{
    [Test]
    public async Task A_stalled_subscriber_does_not_delay_another_and_learns_what_it_dropped()
    {
        var dataDir = Directory.CreateTempSubdirectory("scriptexec-slow-").FullName;
        var config = Path.Combine(dataDir, "config.json");
        await File.WriteAllTextAsync(config, """{"output_max_bytes_per_execution": 67108864}""");
        await using var daemon = await DaemonUnderTest.StartAsync(dataDir, overrides: null, "--config", config);
        await using var control = await daemon.ConnectAsync("unix");
        await control.CallAsync("script_set", new { name = "flood", source = "head -c 31457280 /dev/zero | tr '\\0' 'x' | fold -w 1000" });
        await control.CallAsync("script_instance_set", new { script_name = "flood", instance_name = "i", start_trigger = new { type = "manual" } });

        // The stalled client: subscribes to everything with output, then never reads its socket.
        using var stalled = new ClientWebSocket();
        stalled.Options.SetRequestHeader("Authorization", "Bearer " + daemon.Token);
        await stalled.ConnectAsync(daemon.WebSocketUri, CancellationToken.None);
        await stalled.SendAsync(Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":1,"method":"execution_subscribe","params":{"output":true}}"""),
            WebSocketMessageType.Text, true, CancellationToken.None);

        await using var watcher = await daemon.ConnectAsync("websocket");
        await watcher.CallAsync("execution_subscribe", new { });
        var started = Stopwatch.StartNew();
        var id = (await control.CallAsync("script_start", new { script_name = "flood", instance_name = "i" }))["execution"]!["id"]!.GetValue<long>();

        // The watcher sees the run finish although the stalled client's queue overflowed long before.
        JsonNode execution;
        do
        {
            execution = (await watcher.NextNotificationAsync())["params"]!["execution"]!;
        }
        while (execution["state"]!.GetValue<string>() != "finished");
        var finishedAfter = started.Elapsed;
        var recorded = (await control.CallAsync("script_execution_get", new { pagination = new { limit = -1 } }))["executions"]![0]!;
        TestContext.Out.WriteLine($"watcher saw 'finished' {finishedAfter.TotalMilliseconds:F0} ms after start; run took {recorded["duration"]} ms");

        // Now the stalled client reads: somewhere in what it gets, the overflow is reported.
        var dropped = await ReadUntilDroppedAsync(stalled);

        Assert.Multiple(() =>
        {
            Assert.That(execution["id"]!.GetValue<long>(), Is.EqualTo(id));
            Assert.That(recorded["exit_code"]!.GetValue<int>(), Is.EqualTo(0));
            Assert.That(dropped, Is.GreaterThan(0));
        });
    }

    private static async Task<long> ReadUntilDroppedAsync(ClientWebSocket socket)
    {
        var buffer = new byte[1 << 20];
        var message = new MemoryStream();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, deadline.Token);
            message.Write(buffer, 0, result.Count);
            if (!result.EndOfMessage)
            {
                continue;
            }

            var node = JsonNode.Parse(Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length));
            message.SetLength(0);
            if (node?["params"]?["dropped"] is { } dropped)
            {
                return dropped.GetValue<long>();
            }
        }
    }
}
