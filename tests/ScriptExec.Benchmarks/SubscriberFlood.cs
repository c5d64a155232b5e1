using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace ScriptExec.Benchmarks;

/// <summary>
/// Whether clients slow a script down: one script flooding its output (100-byte lines, as fast as a pipe goes) run
/// with no client, with 200 idle connections, 200 subscribers without output, and 200 output subscribers that
/// never read their socket. The figure is each run's recorded duration against the no-client run's, measured on
/// the same fresh daemon. Memory (VmRSS) is sampled before, at the peak and 30 s after the floods, to show the
/// daemon gives back what a flood to subscribers took.
/// </summary>
internal static class SubscriberFlood
{
    public const int Clients = 200;
    private const double MiB = 1024 * 1024;

    private enum Kind
    {
        None,
        Idle,
        Subscribers,
        OutputSubscribers,
    }

    public static async Task<JsonNode> RunAsync(ProgramBuild build, string temp, BenchOptions options, Report report, CancellationToken cancellationToken)
    {
        await using var daemon = await BenchDaemons.StartAsync(build, temp, "flood", SeededStore.DaemonConfig(), cancellationToken);
        var lines = options.FloodBytes / OutputCapture.LineBytes;
        var source = string.Create(CultureInfo.InvariantCulture, $"""
            #!/bin/sh
            # {lines} lines of {OutputCapture.LineBytes} bytes, as fast as a pipe goes
            L=$(printf '%0{OutputCapture.LineBytes - 1}d' 0)
            yes "$L" | head -n {lines}

            """);
        await InstanceRunner.DefineAsync(daemon, "flood", source, ["f"], cancellationToken);
        await using var runner = await InstanceRunner.CreateAsync(daemon, "flood", "f", cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        var fresh = daemon.Memory();

        // A warm-up run so the first measured one does not pay for JIT and the store's first growth.
        await runner.RunOnceAsync(cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        var idle = daemon.Memory();

        var durations = new Dictionary<Kind, Samples>();
        var result = new JsonObject { ["bytes"] = options.FloodBytes, ["lines"] = lines, ["clients"] = Clients };

        // Interleaved rounds, so load from elsewhere on the machine falls on every variant alike.
        MemoryUse? afterFlood = null;
        for (var round = 0; round < options.FloodRounds; round++)
        {
            foreach (var kind in Enum.GetValues<Kind>())
            {
                var clients = await OpenClientsAsync(daemon, kind, cancellationToken);
                try
                {
                    var execution = await runner.RunOnceAsync(cancellationToken);
                    var ms = execution.GetProperty("duration").GetDouble();
                    Progress.Say($"  round {round + 1}, {Name(kind)}: {ms:F0} ms");
                    (durations.TryGetValue(kind, out var s) ? s : durations[kind] = new Samples()).Add(ms);
                    if (kind == Kind.OutputSubscribers && round == options.FloodRounds - 1)
                    {
                        // With the stalled subscribers still connected: what their queues keep.
                        Progress.Say($"  waiting {options.FloodSettle.TotalSeconds:F0} s for memory to settle");
                        await Task.Delay(options.FloodSettle, cancellationToken);
                        afterFlood = daemon.Memory();
                    }
                }
                finally
                {
                    foreach (var client in clients)
                    {
                        client.Dispose();
                    }
                }
            }
        }

        var baseline = durations[Kind.None].P50;
        foreach (var kind in new[] { Kind.Idle, Kind.Subscribers, Kind.OutputSubscribers })
        {
            report.Add(Check.RatioAtMost($"output_capture.flood_{Name(kind)}.vs_no_client", durations[kind].P50, "ms",
                $"the same flood with no client connected (median of {options.FloodRounds})", baseline, 1.5));
        }

        await Task.Delay(options.FloodSettle, cancellationToken);
        var afterClose = daemon.Memory();
        report.Add(Check.Info("rss.flood_subscribers.after_settle", afterFlood!.Value.Rss / MiB, "MiB",
            $"{options.FloodSettle.TotalSeconds:F0} s after a flood to {Clients} stalled output subscribers (still connected); "
            + $"fresh {fresh.Rss / MiB:F1} MiB, after a flood with no client {idle.Rss / MiB:F1} MiB, peak (VmHWM) {afterClose.Peak / MiB:F1} MiB, after they closed {afterClose.Rss / MiB:F1} MiB"));

        result["script_duration_ms"] = new JsonObject([.. durations.Select(d => KeyValuePair.Create(Name(d.Key), (JsonNode?)d.Value.ToJson()))]);
        result["memory"] = new JsonObject
        {
            ["fresh"] = fresh.ToJson(),
            ["after_warm_up_flood_no_client"] = idle.ToJson(),
            ["after_settle_subscribers_connected"] = afterFlood.Value.ToJson(),
            ["after_settle_subscribers_closed"] = afterClose.ToJson(),
        };
        return result;
    }

    private static string Name(Kind kind) => kind switch
    {
        Kind.None => "no_client",
        Kind.Idle => "idle_connections",
        Kind.Subscribers => "subscribers_without_output",
        _ => "non_reading_output_subscribers",
    };

    /// <summary>
    /// Opens the clients of a variant on the Unix socket; a subscriber reads its subscribe reply (so the subscription
    /// is in place before the run) and then never reads again.
    /// </summary>
    private static async Task<List<Socket>> OpenClientsAsync(DaemonProcess daemon, Kind kind, CancellationToken cancellationToken)
    {
        var sockets = new List<Socket>();
        if (kind == Kind.None)
        {
            return sockets;
        }

        var subscribe = kind switch
        {
            Kind.Subscribers => """{"jsonrpc":"2.0","id":1,"method":"execution_subscribe","params":{}}""" + "\n",
            Kind.OutputSubscribers => """{"jsonrpc":"2.0","id":1,"method":"execution_subscribe","params":{"output":true}}""" + "\n",
            _ => null,
        };
        for (var i = 0; i < Clients; i++)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            sockets.Add(socket);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(daemon.SocketPath), cancellationToken);
            if (subscribe is not null)
            {
                await socket.SendAsync(Encoding.UTF8.GetBytes(subscribe), SocketFlags.None, cancellationToken);
                await ReadReplyAsync(socket, cancellationToken);
            }
        }

        // Idle connections have said nothing: wait until the daemon counts them all.
        // Bounded, not asserted: a count that never arrives shows in the memory figures, not as a failed run.
        await using var client = await daemon.ConnectAsync(cancellationToken);
        await Eventually.TryAsync(
            async () => (await client.CallResultAsync("status", new JsonObject(), cancellationToken))
                .GetProperty("clients").GetProperty("unix").GetInt32() >= Clients + 2,
            TimeSpan.FromSeconds(10),
            TimeSpan.FromMilliseconds(10),
            cancellationToken);
        return sockets;
    }

    private static async Task ReadReplyAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                throw new InvalidOperationException("the daemon closed a subscriber's connection before replying");
            }

            if (Array.IndexOf(buffer, (byte)'\n', 0, read) >= 0)
            {
                return;
            }
        }
    }
}
