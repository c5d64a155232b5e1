using System.Globalization;
using System.Net.Sockets;

namespace ScriptExec.Daemon.Tests.Faults;

/// <summary>
/// A flood to 200 output subscribers that never read grows the daemon; once they close and the daemon is quiet it gives
/// the memory back. Before the idle trim ran again after connections closed (and returned glibc's arenas too), a
/// daemon that had trimmed while they were connected stayed about 85 MiB above fresh for good.
/// </summary>
[Category("Faults")]
public sealed class FloodMemoryTests
{
    private const int Subscribers = 200;

    /// <summary>Generous on purpose: JIT code and the store's first growth stay, and the trim runs on quiet ticks.</summary>
    private const long AllowedGrowthBytes = 45L * 1024 * 1024;

    // 50 MB in 100-byte lines, as fast as a pipe goes.
    private const string Flood = """
        L=$(printf '%099d' 0)
        yes "$L" | head -n 500000
        """;

    [Test]
    public async Task After_a_flood_to_stalled_subscribers_that_then_close_the_daemon_returns_near_its_fresh_memory()
    {
        var dataDir = Directory.CreateTempSubdirectory("scriptexec-floodmem-").FullName;
        using var daemon = await DaemonProcess.StartAsync(dataDir, new Dictionary<string, string>
        {
            ["SCRIPTEXEC_output_max_bytes_per_execution"] = "67108864",

            // The output budget off: the flood must reach the subscribers whole (the budget would drop nearly all of it).
            ["SCRIPTEXEC_output_budget_bytes_per_s"] = "0",
            ["SCRIPTEXEC_output_budget_lines_per_s"] = "0",
            // The trim's log line is how the test knows the daemon has trimmed while the subscribers were still there.
            ["SCRIPTEXEC_Logging__LogLevel__ScriptExec.Daemon.IdleMemoryTrimService"] = "Debug",
        });
        long fresh, connected;
        await using (var control = await daemon.ConnectAsync())
        {
            await control.CallAsync("script_set", new { name = "flood", source = Flood });
            await control.CallAsync("script_instance_set", new { script_name = "flood", instance_name = "i", start_trigger = new { type = "manual" } });
            fresh = ResidentBytes(daemon.Pid);

            var stalled = new List<Socket>();
            try
            {
                for (var i = 0; i < Subscribers; i++)
                {
                    stalled.Add(await NonReadingSubscribersTests.SubscribeAndStallAsync(daemon.SocketPath));
                }

                await NonReadingSubscribersTests.RunAsync(control);

                // Quiet after the flood, the daemon trims what the subscribers' full queues do not hold (checked every 10 s).
                await Eventually.ThatAsync(() => Task.FromResult(Trims(daemon) >= 1),
                    "the daemon trimmed after the flood", TimeSpan.FromMinutes(2));
                connected = ResidentBytes(daemon.Pid);
            }
            finally
            {
                foreach (var socket in stalled)
                {
                    socket.Dispose();
                }
            }
        }

        // Now the subscribers are gone, what they held is garbage the daemon has to find on its own: wait for its next
        // trim (bounded; without one the figure below is simply what stayed), then for the process to shrink.
        await Eventually.TryAsync(() => Task.FromResult(Trims(daemon) >= 2), TimeSpan.FromMinutes(1));
        var last = connected;
        var settled = await Eventually.TryAsync(() => Task.FromResult((last = ResidentBytes(daemon.Pid)) < fresh + AllowedGrowthBytes), TimeSpan.FromSeconds(5));
        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RSS fresh {fresh >> 20} MiB, trimmed with the subscribers connected {connected >> 20} MiB, after they closed {last >> 20} MiB"));
        Assert.That(settled, Is.True, string.Create(CultureInfo.InvariantCulture,
            $"RSS {last >> 20} MiB stayed above fresh {fresh >> 20} MiB + {AllowedGrowthBytes >> 20} MiB"));
    }

    private static int Trims(DaemonProcess daemon) =>
        daemon.Log.Split('\n').Count(l => l.Contains("trimmed from", StringComparison.Ordinal));

    /// <summary>VmRSS of <paramref name="pid"/>, from /proc.</summary>
    private static long ResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
