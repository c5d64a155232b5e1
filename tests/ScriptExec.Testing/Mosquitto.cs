using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ScriptExec.Testing;

/// <summary>
/// A real Mosquitto (Debian's package, installed with apt-get when missing) on a free loopback port, with a config
/// file of its own: anonymous, or a password file. Stop and start it again on the same port to play a broker restart.
/// </summary>
public sealed class Mosquitto : IAsyncDisposable
{
    private const string Binary = "/usr/sbin/mosquitto";
    private static readonly SemaphoreSlim Installing = new(1, 1);
    private readonly string _directory;
    private Process? _process;
    private string _stderr = "";

    private Mosquitto(string directory, int port)
    {
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The TLS listener's port (0 without one): it requires a client certificate from the test CA.</summary>
    public int TlsPort { get; private set; }

    /// <summary>The certificates of the TLS listener, if any.</summary>
    public TestCertificates? Certificates { get; private set; }

    public string Url => $"mqtt://127.0.0.1:{Port}";

    public string Log => (File.Exists(LogPath) ? File.ReadAllText(LogPath) : "") + _stderr;

    private string ConfigPath => Path.Combine(_directory, "mosquitto.conf");

    private string LogPath => Path.Combine(_directory, "mosquitto.log");

    /// <summary>
    /// Starts a broker with a plain anonymous listener (<see cref="Port"/>) and an mqtts:// one (<see cref="TlsPort"/>)
    /// that takes only clients with a certificate from the test CA.
    /// </summary>
    public static async Task<Mosquitto> StartWithTlsAsync()
    {
        await EnsureInstalledAsync();
        var directory = Directory.CreateTempSubdirectory("scriptexec-mosquitto-").FullName;
        var broker = new Mosquitto(directory, DaemonUnderTest.FreePort()) { TlsPort = DaemonUnderTest.FreePort() };
        var certificates = TestCertificates.Create(directory);
        broker.Certificates = certificates;
        var config = $"per_listener_settings true\npersistence false\nuser root\nlog_dest file {broker.LogPath}\nlog_type all\n"
            + $"listener {broker.Port} 127.0.0.1\nallow_anonymous true\n"
            + $"listener {broker.TlsPort} 127.0.0.1\ncafile {certificates.CaPath}\ncertfile {certificates.ServerCertificatePath}\n"
            + $"keyfile {certificates.ServerKeyPath}\nrequire_certificate true\nuse_identity_as_username true\nallow_anonymous false\n";
        await File.WriteAllTextAsync(broker.ConfigPath, config);
        await broker.StartAgainAsync();
        return broker;
    }

    /// <summary>Starts a broker; with <paramref name="user"/>, only that user (and <paramref name="password"/>) may connect.</summary>
    public static async Task<Mosquitto> StartAsync(string? user = null, string? password = null)
    {
        await EnsureInstalledAsync();
        var directory = Directory.CreateTempSubdirectory("scriptexec-mosquitto-").FullName;
        var broker = new Mosquitto(directory, DaemonUnderTest.FreePort());
        // "user root": run as root, mosquitto would otherwise switch to its own user, which cannot read our temp dir.
        var config = $"listener {broker.Port} 127.0.0.1\npersistence false\nuser root\nlog_dest file {broker.LogPath}\nlog_type all\n";
        if (user is null)
        {
            config += "allow_anonymous true\n";
        }
        else
        {
            var passwords = Path.Combine(directory, "passwd");
            await RunAsync("/usr/bin/mosquitto_passwd", "-b", "-c", passwords, user, password!);
            config += $"allow_anonymous false\npassword_file {passwords}\n";
        }

        await File.WriteAllTextAsync(broker.ConfigPath, config);
        await broker.StartAgainAsync();
        return broker;
    }

    /// <summary>Starts the broker (again) on its port; returns once it accepts connections.</summary>
    public async Task StartAgainAsync()
    {
        var start = new ProcessStartInfo(Binary) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(ConfigPath);
        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, e) => _stderr += e.Data is null ? "" : e.Data + "\n";
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        await Eventually.ThatAsync(AcceptsAsync, $"mosquitto to accept on port {Port}:\n{Log}");
    }

    /// <summary>Kills the broker (its clients see the connection drop).</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task<bool> AcceptsAsync()
    {
        if (_process is { HasExited: true })
        {
            Assert.Fail($"mosquitto exited with {_process.ExitCode}:\n{Log}");
        }

        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task EnsureInstalledAsync()
    {
        await Installing.WaitAsync();
        try
        {
            if (!File.Exists(Binary))
            {
                await InstallAsync();
            }
        }
        finally
        {
            Installing.Release();
        }
    }

    private static async Task InstallAsync()
    {
        var (code, output) = await RunAsync("/usr/bin/apt-get", "-o", "DPkg::Lock::Timeout=300", "install", "-y", "--no-install-recommends", "mosquitto");
        if (code != 0 || !File.Exists(Binary))
        {
            Assert.Ignore($"mosquitto is not installed and apt-get could not install it (exit {code}):\n{output}");
        }
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }
}
