using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using ScriptExec.Daemon.Tests.Support;

namespace ScriptExec.Daemon.Tests.Faults;

/// <summary>
/// Clients cannot slow a script down, and a subscriber gets live output whenever it subscribes: captured output goes
/// to one dispatcher, which looks the subscribers up as it delivers.
/// </summary>
[Category("Faults")]
public sealed class LateSubscriberTests : TransportFixture
{
    // Prints a line, waits for the gate file the test creates once it has subscribed, then prints more.
    private const string Gated = """
        echo before
        while [ ! -e "$1" ]; do sleep 0.02; done
        echo after 1
        echo after 2 >&2
        echo after 3
        """;

    public LateSubscriberTests(string transport)
        : base(transport)
    {
    }

    [Test]
    public async Task A_subscriber_that_comes_after_the_start_receives_the_rest_of_the_run_live_with_the_stored_line_ids()
    {
        var gate = Path.Combine(Daemon.DataDir, "gate-" + Guid.NewGuid().ToString("N"));
        var (script, instance) = await CreateAsync(Gated, new { arguments = gate });
        var id = (await Client.CallAsync("script_start", new { script_name = script, instance_name = instance }))["execution"]!["id"]!.GetValue<long>();
        await WaitForStoredAsync(id, 1);

        // The run is under way: only now does a client connect and subscribe (as a browser opening the page, or logs -f).
        await using var late = await Daemon.ConnectAsync(Transport);
        await late.CallAsync("execution_subscribe", new { filter = new { instances = new[] { new { script_name = script } } }, output = true });
        await File.WriteAllTextAsync(gate, string.Empty);

        var live = new List<(long Id, string Content)>();
        while (true)
        {
            var notification = await late.NextNotificationAsync();
            var p = notification["params"]!;
            if (notification["method"]!.GetValue<string>() == "execution_output" && p["execution_id"]!.GetValue<long>() == id)
            {
                live.AddRange(p["lines"]!.AsArray().Select(l => (l!["id"]!.GetValue<long>(), l["content"]!.GetValue<string>())));
            }
            else if (notification["method"]!.GetValue<string>() == "execution_changed" && p["execution"]!["state"]!.GetValue<string>() == "finished")
            {
                break;
            }
        }

        var stored = await StoredAsync(id);
        Assert.Multiple(() =>
        {
            // stdout and stderr are separate pipes: their relative order is the order the daemon read them in.
            Assert.That(live.Select(l => l.Content), Is.EquivalentTo(new[] { "after 1", "after 2", "after 3" }), "live lines after subscribing");
            Assert.That(live, Is.EqualTo(stored.Where(l => l.Content.StartsWith("after", StringComparison.Ordinal))), "ids as stored");
        });
    }

    private async Task<List<(long Id, string Content)>> StoredAsync(long id)
    {
        var result = await Client.CallAsync("script_execution_output_get", new { filter = new { execution_id = id }, pagination = new { limit = 1000 } });
        return [.. result["lines"]!.AsArray().Select(l => (l!["id"]!.GetValue<long>(), l["content"]!.GetValue<string>()))];
    }

    private Task WaitForStoredAsync(long id, int lines) =>
        Eventually.ThatAsync(async () => (await StoredAsync(id)).Count >= lines, $"execution {id} stored {lines} lines", RpcClient.ReplyTimeout);
}

/// <summary>200 output subscribers that never read must leave a flooding script's wall time near the no-client run's.</summary>
[Category("Faults")]
public sealed class NonReadingSubscribersTests
{
    private const int Subscribers = 200;

    /// <summary>Loose on purpose (the benchmark reports the ratio; its target is 1.5): before the dispatcher it was about 15.</summary>
    private const double MaxSlowdown = 3.0;

    // 20 MB in 100-byte lines, as fast as a pipe goes.
    private const string Flood = """
        L=$(printf '%099d' 0)
        yes "$L" | head -n 200000
        """;

    [Test]
    public async Task Two_hundred_output_subscribers_that_never_read_do_not_slow_a_flooding_script()
    {
        var dataDir = Directory.CreateTempSubdirectory("scriptexec-flood-").FullName;
        var config = Path.Combine(dataDir, "config.json");
        await File.WriteAllTextAsync(config, """{"output_max_bytes_per_execution": 67108864}""");
        await using var daemon = await DaemonUnderTest.StartAsync(dataDir, "--config", config);
        await using var control = await daemon.ConnectAsync("unix");
        await control.CallAsync("script_set", new { name = "flood", source = Flood });
        await control.CallAsync("script_instance_set", new { script_name = "flood", instance_name = "i", start_trigger = new { type = "manual" } });

        // Warm-up (JIT, the store's first growth), then the baseline with no other client.
        await RunAsync(control);
        var alone = await RunAsync(control);

        var stalled = new List<Socket>();
        try
        {
            for (var i = 0; i < Subscribers; i++)
            {
                stalled.Add(await SubscribeAndStallAsync(daemon.SocketPath));
            }

            var crowded = await RunAsync(control);
            TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"flood alone {alone} ms, with {Subscribers} non-reading output subscribers {crowded} ms (ratio {(double)crowded / alone:F2})"));

            // A floor on the baseline: on a busy machine a sub-second run varies by more than its own length.
            Assert.That(crowded, Is.LessThanOrEqualTo(MaxSlowdown * Math.Max(alone, 500)));
        }
        finally
        {
            foreach (var socket in stalled)
            {
                socket.Dispose();
            }
        }
    }

    /// <summary>Runs the flood to its end (polled, bounded); returns its recorded duration in milliseconds.</summary>
    internal static async Task<long> RunAsync(RpcClient control)
    {
        var id = (await control.CallAsync("script_start", new { script_name = "flood", instance_name = "i" }))["execution"]!["id"]!.GetValue<long>();
        var execution = await Eventually.ValueAsync(
            async () => (await control.CallAsync("script_execution_output_get", new
            {
                filter = new { execution_id = id },
                pagination = new { limit = 1 },
            }))["execution"]!,
            e => e["state"]!.GetValue<string>() == "finished",
            "the flood finished",
            TimeSpan.FromMinutes(2));
        Assert.That(execution["output_truncated"]?.GetValue<bool>() ?? false, Is.False, "the flood fits the raised output cap");
        return execution["duration"]!.GetValue<long>();
    }

    /// <summary>A client that subscribes to all output, reads the reply (so the subscription is in place), then never reads again.</summary>
    internal static async Task<Socket> SubscribeAndStallAsync(string socketPath)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
        await socket.SendAsync(Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":1,"method":"execution_subscribe","params":{"output":true}}""" + "\n"), SocketFlags.None);
        var buffer = new byte[4096];
        var reply = new StringBuilder();
        using var timeout = new CancellationTokenSource(RpcClient.ReplyTimeout);
        while (!reply.ToString().Contains('\n', StringComparison.Ordinal))
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            Assert.That(read, Is.Positive, "the daemon closed a subscriber's connection");
            reply.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        Assert.That(JsonNode.Parse(reply.ToString())!["result"]?["subscription_id"], Is.Not.Null, reply.ToString());
        return socket;
    }
}
