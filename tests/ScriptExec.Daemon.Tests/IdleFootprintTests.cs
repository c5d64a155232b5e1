using System.Globalization;

namespace ScriptExec.Daemon.Tests;

/// <summary>
/// What an idle daemon carries (docs/BENCHMARKS.md, "Idle footprint"): the garbage of start-up is returned once it is
/// ready, and nothing on the Unix-socket path loads OpenSSL (libcrypto and libssl stayed resident for good once the
/// admin token was hashed with the platform's SHA-256). Both run the daemon as its own process, as a device does
/// (<c>SCRIPTEXECD_BINARY</c> runs them against the native binary).
/// </summary>
public sealed class IdleFootprintTests
{
    [Test]
    public async Task Start_up_garbage_is_returned_once_ready()
    {
        var dataDir = Directory.CreateTempSubdirectory("scriptexec-idle-").FullName;
        using var daemon = await DaemonProcess.StartAsync(dataDir, new Dictionary<string, string>
        {
            ["SCRIPTEXEC_Logging__LogLevel__ScriptExec.Daemon.IdleMemoryTrimService"] = "Debug",
        });

        await Eventually.ThatAsync(
            () => daemon.Log.Contains("what start-up allocated returned", StringComparison.Ordinal),
            "the daemon trims once after ready", TimeSpan.FromSeconds(30));
    }

    [Test]
    public async Task Start_status_and_a_run_over_the_unix_socket_load_no_openssl()
    {
        var dataDir = Directory.CreateTempSubdirectory("scriptexec-idle-").FullName;
        using var daemon = await DaemonProcess.StartAsync(dataDir, new Dictionary<string, string>());
        await using var client = await daemon.ConnectAsync();
        await client.CallAsync("status");
        await client.CallAsync("script_set", new { name = "hi", source = "echo hi" });
        await client.CallAsync("script_instance_set", new { script_name = "hi", instance_name = "i", start_trigger = new { type = "manual" } });
        var started = await client.CallAsync("script_start", new { script_name = "hi", instance_name = "i" });
        var id = started["execution"]!["id"]!.GetValue<long>();
        await Eventually.ValueAsync(
            async () => (await client.CallAsync("script_execution_output_get", new
            {
                filter = new { execution_id = id },
                pagination = new { limit = 1 },
            }))["execution"]!,
            e => e["state"]!.GetValue<string>() == "finished",
            "the run ends");

        var libraries = File.ReadLines(string.Create(CultureInfo.InvariantCulture, $"/proc/{daemon.Pid}/maps"))
            .Where(line => line.Contains("libcrypto", StringComparison.Ordinal) || line.Contains("libssl", StringComparison.Ordinal))
            .ToList();
        Assert.That(libraries, Is.Empty, "OpenSSL mapped into the daemon");
    }
}
