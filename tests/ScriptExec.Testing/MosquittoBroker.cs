using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace ScriptExec.Testing;

/// <summary>
/// A real Mosquitto (Debian's <c>mosquitto</c>) on a free loopback port, with its own config and no persistence, for
/// the MQTT channel's tests and the fleet benchmark. It can be stopped and started again on the same port, which is
/// what a broker restart looks like to the daemons connected to it.
/// </summary>
public sealed class MosquittoBroker : IAsyncDisposable
{
    /// <summary>Where Debian installs the broker.</summary>
    public const string Executable = "/usr/sbin/mosquitto";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly string _directory;
    private readonly string _configPath;
    private Process? _process;

    private MosquittoBroker(string directory, int port, string configPath)
    {
        _directory = directory;
        Port = port;
        _configPath = configPath;
    }

    public int Port { get; }

    public Uri Url => new(string.Create(CultureInfo.InvariantCulture, $"mqtt://127.0.0.1:{Port}"));

    /// <summary>The broker's own log (stderr and stdout), for a failure message.</summary>
    public string LogPath => Path.Combine(_directory, "mosquitto.log");

    /// <summary>
    /// Null when the broker is installed (or could be installed with apt-get), else why not: the caller reports the
    /// figure or test as unavailable with this reason.
    /// </summary>
    public static async Task<string?> EnsureInstalledAsync(CancellationToken cancellationToken)
    {
        if (File.Exists(Executable))
        {
            return null;
        }

        var (exitCode, output) = await RunAsync("apt-get", ["install", "-y", "-qq", "mosquitto"], cancellationToken);
        if (exitCode != 0)
        {
            await RunAsync("apt-get", ["update", "-qq"], cancellationToken);
            (exitCode, output) = await RunAsync("apt-get", ["install", "-y", "-qq", "mosquitto"], cancellationToken);
        }

        return File.Exists(Executable) ? null : $"mosquitto is not installed and apt-get could not install it (exit {exitCode}): {output.Trim()}";
    }

    /// <summary>Starts a broker in <paramref name="directory"/> on a free port; <paramref name="extraConfig"/> lines are appended to its config.</summary>
    public static async Task<MosquittoBroker> StartAsync(string directory, IReadOnlyList<string>? extraConfig = null, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(directory);
        var port = DaemonUnderTest.FreePort();
        var configPath = Path.Combine(directory, "mosquitto.conf");
        List<string> config =
        [
            string.Create(CultureInfo.InvariantCulture, $"listener {port} 127.0.0.1"),
            "allow_anonymous true",
            "persistence false",
            // The fleet benchmark's reconnect storm and fan-out must not be cut by the broker's own defaults.
            "max_queued_messages 100000",
            "max_inflight_messages 0",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
        ];
        config.AddRange(extraConfig ?? []);
        await File.WriteAllLinesAsync(configPath, config, cancellationToken);
        var broker = new MosquittoBroker(directory, port, configPath);
        await broker.StartAgainAsync(cancellationToken);
        return broker;
    }

    /// <summary>Starts the broker (again) on its port and waits until it accepts connections.</summary>
    public async Task StartAgainAsync(CancellationToken cancellationToken = default)
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException("The broker is already running.");
        }

        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(_configPath);
        var process = Process.Start(start) ?? throw new InvalidOperationException("mosquitto did not start.");
        _process = process;
        var log = File.AppendText(LogPath);
        log.AutoFlush = true;
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();

        if (!await Eventually.TryAsync(async () => process.HasExited || await AcceptsAsync(cancellationToken), StartTimeout, cancellationToken: cancellationToken)
            || process.HasExited)
        {
            throw new InvalidOperationException(
                $"mosquitto did not accept connections on port {Port} (exited: {process.HasExited}); log:\n{ReadLog()}");
        }
    }

    /// <summary>Stops the broker (SIGTERM, then SIGKILL) and waits until it is gone.</summary>
    public async Task StopAsync()
    {
        if (_process is not { } process || process.HasExited)
        {
            return;
        }

        process.Kill(entireProcessTree: false);
        await process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
    }

    private string ReadLog()
    {
        try
        {
            return File.ReadAllText(LogPath);
        }
        catch (IOException e)
        {
            return e.Message;
        }
    }

    private async Task<bool> AcceptsAsync(CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync("127.0.0.1", Port, cancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static void Append(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.WriteLine(line);
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] args, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            return (process.ExitCode, await output + await error);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}
