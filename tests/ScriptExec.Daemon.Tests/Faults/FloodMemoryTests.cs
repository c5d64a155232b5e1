using System.Globalization;
using System.Net.Sockets;
using ScriptExec.Daemon.Tests.Support;

namespace ScriptExec.Daemon.Tests.Faults;

/// <summary>
/// A flood to 200 output subscribers that never read grows the daemon, and once they close and the daemon is quiet it
/// gives the memory back: before the idle trim returned malloc arenas and ran again after the subscribers closed, it
/// stayed about 85 MiB above a fresh daemon for good.
/// </summary>
[Category("Faults")]
public sealed class FloodMemoryTests
{
    private const int Subscribers = 200;

    /// <summary>Generous on purpose: JIT code and the store's first growth stay, and the trim runs on quiet ticks.</summary>
    private const long AllowedGrowthBytes = 60L * 1024 * 1024;

    // 50 MB in 100-byte lines, as fast as a pipe goes.
    private const string Flood = """
        L=$(printf '%099d' 0)
        yes "$L" | head -n 500000
        """;

    [Test]
    public async Task After_a_flood_to_stalled_subscribers_that_then_close_the_daemon_returns_near_its_fresh_memory()
    {
        var dataDir = Directory.CreateTempSubdirectory("scriptexec-floodmem-").FullName;
        var config = Path.Combine(dataDir, "config.json");
        await File.WriteAllTextAsync(config, """{"output_max_bytes_per_execution": 67108864}""");
        using var daemon = await DaemonProcess.StartAsync(dataDir, null, "--config", config);
        long fresh;
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
            }
            finally
            {
                foreach (var socket in stalled)
                {
                    socket.Dispose();
                }
            }
        }

        var peak = ResidentBytes(daemon.Pid);
        long last = peak;

        // The daemon trims on its own once quiet (checked every 10 s): wait for that, bounded.
        var settled = await Eventually.TryAsync(() => Task.FromResult((last = ResidentBytes(daemon.Pid)) < fresh + AllowedGrowthBytes), TimeSpan.FromMinutes(2));
        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RSS fresh {fresh >> 20} MiB, after the flood {peak >> 20} MiB, settled {last >> 20} MiB"));
        Assert.That(settled, Is.True, string.Create(CultureInfo.InvariantCulture,
            $"RSS {last >> 20} MiB stayed above fresh {fresh >> 20} MiB + {AllowedGrowthBytes >> 20} MiB"));
    }

    /// <summary>VmRSS of <paramref name="pid"/>, from /proc.</summary>
    private static long ResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
