using System.Globalization;
using System.Text.RegularExpressions;

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
    public async Task Start_up_garbage_is_returned_and_the_binary_unmapped_once_ready_and_the_daemon_runs_on()
    {
        var dataDir = Directory.CreateTempSubdirectory("scriptexec-idle-").FullName;
        using var daemon = await DaemonProcess.StartAsync(dataDir, new Dictionary<string, string>
        {
            ["SCRIPTEXEC_Logging__LogLevel__ScriptExec.Daemon.IdleMemoryTrimService"] = "Debug",
        });

        await Eventually.ThatAsync(
            () => daemon.Log.Contains("what start-up allocated returned", StringComparison.Ordinal),
            "the daemon trims once after ready", TimeSpan.FromSeconds(30));
        var unmapped = Regex.Match(daemon.Log, @"what start-up allocated returned, .*, (\d+) KiB of the binary unmapped");
        Assert.That(unmapped.Success, Is.True, daemon.Log);
        Assert.That(long.Parse(unmapped.Groups[1].Value, CultureInfo.InvariantCulture), Is.GreaterThan(0), "KiB of the binary unmapped");

        // What was unmapped is mapped back as it runs: code, read-only data and the relocated data left in place.
        await using var client = await daemon.ConnectAsync();
        Assert.That((await client.CallAsync("status"))["version"], Is.Not.Null);
        await client.CallAsync("script_set", new { name = "after-trim", source = "echo after the trim" });
        await client.CallAsync("script_instance_set", new { script_name = "after-trim", instance_name = "i", start_trigger = new { type = "manual" } });
        var started = await client.CallAsync("script_start", new { script_name = "after-trim", instance_name = "i" });
        var id = started["execution"]!["id"]!.GetValue<long>();
        var output = await Eventually.ValueAsync(
            async () => await client.CallAsync("script_execution_output_get", new { filter = new { execution_id = id }, pagination = new { limit = 1 } }),
            o => o["execution"]!["state"]!.GetValue<string>() == "finished",
            "the run ends");
        Assert.That(output["lines"]![0]!["content"]!.GetValue<string>(), Is.EqualTo("after the trim"));
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
