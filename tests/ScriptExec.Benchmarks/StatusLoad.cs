using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ScriptExec.Benchmarks;

/// <summary>
/// <c>status</c> under load: many WebSocket clients (bearer token from the data directory), each calling in a
/// closed loop. Calls are counted and timed only inside the measuring window, after a warm-up.
/// </summary>
internal static class StatusLoad
{
    public static async Task<JsonObject> RunAsync(DaemonProcess daemon, BenchOptions options, Report report, CancellationToken cancellationToken)
    {
        var token = daemon.Token;
        var sockets = new List<ClientWebSocket>();
        try
        {
            for (var i = 0; i < options.StatusClients; i++)
            {
                var socket = new ClientWebSocket();
                socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
                socket.Options.KeepAliveInterval = TimeSpan.Zero;
                await socket.ConnectAsync(daemon.WebSocketUri, cancellationToken);
                sockets.Add(socket);
            }

            // One real answer first: the loop below only checks that each reply is a result.
            var first = await CallAsync(sockets[0], Request(0), new byte[64 * 1024], cancellationToken);
            using (var document = JsonDocument.Parse(first))
            {
                _ = document.RootElement.GetProperty("result").GetProperty("version").GetString();
            }

            var windowStart = Stopwatch.GetTimestamp() + (long)(options.StatusWarmup.TotalSeconds * Stopwatch.Frequency);
            var windowEnd = windowStart + (long)(options.StatusDuration.TotalSeconds * Stopwatch.Frequency);
            Progress.Say($"  {sockets.Count} WebSocket clients: {options.StatusWarmup.TotalSeconds} s warm-up, {options.StatusDuration.TotalSeconds} s measured");
            var perClient = await Task.WhenAll(sockets.Select((s, i) => Task.Run(() => LoopAsync(s, i, windowStart, windowEnd, cancellationToken), cancellationToken)));
            var all = new Samples();
            foreach (var samples in perClient)
            {
                all.AddRange(samples);
            }

            var callsPerSecond = all.Count / options.StatusDuration.TotalSeconds;
            var figure = string.Create(CultureInfo.InvariantCulture, $"status.websocket_{sockets.Count}_clients");
            report.Add(Check.AtLeast(figure + ".throughput", callsPerSecond, "calls/s", 10_000));
            report.Add(Check.AtMost(figure + ".p99", all.P99, "ms", 20));
            return new JsonObject
            {
                ["clients"] = sockets.Count,
                ["measured_s"] = options.StatusDuration.TotalSeconds,
                ["calls"] = all.Count,
                ["calls_per_s"] = Report.Round(callsPerSecond),
                ["latency"] = all.ToJson(),
            };
        }
        finally
        {
            foreach (var socket in sockets)
            {
                try
                {
                    using var close = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", close.Token);
                }
                catch (Exception e) when (e is WebSocketException or OperationCanceledException)
                {
                    // The daemon may already have dropped it.
                }

                socket.Dispose();
            }
        }
    }

    private static async Task<Samples> LoopAsync(ClientWebSocket socket, int client, long windowStart, long windowEnd, CancellationToken cancellationToken)
    {
        var request = Request(client);
        var buffer = new byte[64 * 1024];
        var samples = new Samples();
        while (true)
        {
            var started = Stopwatch.GetTimestamp();
            if (started >= windowEnd)
            {
                return samples;
            }

            var reply = await CallAsync(socket, request, buffer, cancellationToken);
            var ended = Stopwatch.GetTimestamp();
            if (reply.AsSpan().IndexOf("\"result\""u8) < 0)
            {
                throw new InvalidDataException("status failed: " + Encoding.UTF8.GetString(reply));
            }

            if (started >= windowStart && ended <= windowEnd)
            {
                samples.Add(Stopwatch.GetElapsedTime(started, ended).TotalMilliseconds);
            }
        }
    }

    private static byte[] Request(int id) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"status\",\"params\":{{}}}}"));

    private static async Task<byte[]> CallAsync(ClientWebSocket socket, byte[] request, byte[] buffer, CancellationToken cancellationToken)
    {
        await socket.SendAsync(request, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }

            var received = await socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                throw new WebSocketException("the daemon closed the WebSocket");
            }

            length += received.Count;
            if (received.EndOfMessage)
            {
                return buffer.AsSpan(0, length).ToArray();
            }
        }
    }
}
