using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ScriptExec.Daemon.Tests.Faults;

/// <summary>
/// The built daemon under a low open-file limit (prlimit): a flood of unauthenticated connections held open must be
/// refused cleanly past the connection cap, never abort the daemon nor leave an endpoint dead; a limit too low to
/// run must be said at start, with the configuration-error status.
/// </summary>
[Category("Faults")]
[NonParallelizable]
public sealed class DescriptorTests
{
    private const int LowLimit = 300;
    private const int FloodConnections = 500;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private string _dataDir = null!;

    [SetUp]
    public void CreateDataDir()
    {
        if (!File.Exists("/usr/bin/prlimit") && !File.Exists("/bin/prlimit"))
        {
            Assert.Ignore("prlimit (util-linux) is not installed");
        }

        _dataDir = Directory.CreateTempSubdirectory("scriptexec-fd-").FullName;
    }

    [TearDown]
    public void RemoveDataDir() => Directory.Delete(_dataDir, recursive: true);

    [Test]
    public async Task A_flood_of_unauthenticated_connections_at_a_low_limit_is_refused_cleanly_and_both_endpoints_serve_afterwards()
    {
        // Two concurrent executions: at 300 descriptors the default 64 would not leave room for the minimum of connections.
        using var daemon = await DaemonProcess.StartAsync(_dataDir, LowLimit, "--max-concurrent-executions", "2");
        var flood = new List<Socket>();
        var answers = new Dictionary<string, int>();
        try
        {
            for (int i = 0; i < FloodConnections; i++)
            {
                var (socket, answer) = await UpgradeWithoutTokenAsync(daemon.Port);
                flood.Add(socket);
                answers[answer] = answers.GetValueOrDefault(answer) + 1;
            }

            bool aliveDuringFlood = !daemon.HasExited;
            int held = answers.GetValueOrDefault("401");
            int refused = answers.GetValueOrDefault("503");
            TestContext.Out.WriteLine($"nofile={LowLimit}: {FloodConnections} connections, {held} answered 401 and held open, {refused} refused with 503");

            foreach (var socket in flood)
            {
                socket.Dispose();
            }

            flood.Clear();
            var overWebSocket = await WaitUntilServedAsync(async () =>
            {
                await using var client = await RpcClient.ConnectWebSocketAsync(daemon.WebSocketUri, daemon.Token);
                return await client.CallAsync("status");
            });
            await using var overUnix = await daemon.ConnectAsync();
            var unixStatus = await overUnix.CallAsync("status");

            Assert.Multiple(() =>
            {
                Assert.That(aliveDuringFlood, Is.True, $"the daemon died under the flood:\n{daemon.Log}");
                Assert.That(answers.Keys, Is.SubsetOf(new[] { "401", "503" }), "every connection is answered 401 (held) or 503 (refused)");
                Assert.That(held, Is.InRange(1, LowLimit), "some connections are served, never more than descriptors allow");
                Assert.That(refused, Is.EqualTo(FloodConnections - held));
                Assert.That(overWebSocket["pid"]!.GetValue<int>(), Is.EqualTo(daemon.Pid));
                Assert.That(unixStatus["pid"]!.GetValue<int>(), Is.EqualTo(daemon.Pid));
                Assert.That(daemon.Log, Does.Not.Contain("Could not load file or assembly"));
            });
        }
        finally
        {
            foreach (var socket in flood)
            {
                socket.Dispose();
            }
        }
    }

    [Test]
    public async Task A_limit_too_low_to_run_stops_the_start_with_status_2_and_says_so()
    {
        var (exitCode, log) = await DaemonProcess.RunUntilExitAsync(_dataDir, 100, Bound);

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.EqualTo(2), log);
            Assert.That(log, Does.Contain("open-file limit (RLIMIT_NOFILE) is 100"));
            Assert.That(log, Does.Contain("LimitNOFILE"));
            Assert.That(log, Does.Not.Contain("FileNotFoundException"));
        });
    }

    [Test]
    public async Task A_limit_that_leaves_no_room_for_the_configured_executions_stops_the_start_naming_the_numbers()
    {
        // Enough for the runtime, not for 64 concurrent executions besides.
        var (exitCode, log) = await DaemonProcess.RunUntilExitAsync(_dataDir, LowLimit, Bound);

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.EqualTo(2), log);
            Assert.That(log, Does.Contain($"open-file limit (RLIMIT_NOFILE) is {LowLimit}, too low"));
            Assert.That(log, Does.Contain("max_concurrent_executions=64"));
        });
    }

    /// <summary>A WebSocket upgrade without a token, answered or not; returns the socket, left open, and the status code.</summary>
    private static async Task<(Socket Socket, string Answer)> UpgradeWithoutTokenAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
            await socket.SendAsync(Encoding.ASCII.GetBytes(
                "GET /rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"));
            var buffer = new byte[512];
            using var timeout = new CancellationTokenSource(Bound);
            int count = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            var head = Encoding.ASCII.GetString(buffer, 0, count);
            return (socket, head.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) ? head[9..12] : count == 0 ? "closed" : head);
        }
        catch (SocketException e)
        {
            return (socket, e.SocketErrorCode.ToString());
        }
    }

    private static async Task<T> WaitUntilServedAsync<T>(Func<Task<T>> call)
    {
        T served = default!;
        Exception? refused = null;
        var wasServed = await Eventually.TryAsync(
            async () =>
            {
                try
                {
                    served = await call();
                    return true;
                }
                catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or SocketException or IOException)
                {
                    // The daemon sees closed connections go as their sockets' ends arrive; a slot frees up shortly.
                    refused = e;
                    return false;
                }
            },
            Bound);
        Assert.That(wasServed, Is.True, () => $"no connection was served within {Bound}: {refused}");
        return served;
    }
}
