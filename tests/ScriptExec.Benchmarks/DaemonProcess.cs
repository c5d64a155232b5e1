using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace ScriptExec.Benchmarks;

/// <summary>
/// A real scriptexecd (<c>dotnet scriptexecd.dll</c>) on its own data directory, Unix socket and loopback port.
/// Start-up is timed from just before the process is created until the socket accepts and <c>status</c> answers.
/// </summary>
internal sealed class DaemonProcess : IAsyncDisposable
{
    private const int LogLinesKept = 40;

    private readonly Process _process;
    private readonly Queue<string> _log = new();
    private long _startedAt;

    private DaemonProcess(Process process, string dataDirectory, string socketPath, int port)
    {
        _process = process;
        DataDirectory = dataDirectory;
        SocketPath = socketPath;
        WebSocketUri = new Uri(string.Create(CultureInfo.InvariantCulture, $"ws://127.0.0.1:{port}/rpc"));
    }

    public string DataDirectory { get; }

    public string DatabasePath => Path.Combine(DataDirectory, "scriptexec.db");

    public string SocketPath { get; }

    public Uri WebSocketUri { get; }

    public int Pid => _process.Id;

    /// <summary>Process start to the first answered <c>status</c>.</summary>
    public TimeSpan ReadyAfter { get; private set; }

    /// <summary>Process start to the first accepted connection on the Unix socket (part of <see cref="ReadyAfter"/>).</summary>
    public TimeSpan AcceptingAfter { get; private set; }

    /// <summary>The admin token the daemon generated in its data directory (for the WebSocket).</summary>
    public string AdminToken => File.ReadAllText(Path.Combine(DataDirectory, "admin.token")).Trim();

    /// <summary>
    /// Starts scriptexecd in <paramref name="directory"/>/<paramref name="name"/> and waits until it is ready.
    /// <paramref name="config"/> becomes its <c>--config</c> file (snake_case keys, as in DaemonOptions).
    /// </summary>
    public static async Task<DaemonProcess> StartAsync(
        string dll, string directory, string name, JsonObject? config, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var daemon = Launch(dll, directory, name, config);
            try
            {
                await daemon.WaitReadyAsync(TimeSpan.FromSeconds(60), cancellationToken);
                return daemon;
            }
            catch (InvalidOperationException) when (attempt < 3 && daemon.LogText.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                // The free port we picked was taken in between: pick another.
                await daemon.DisposeAsync();
            }
            catch
            {
                await daemon.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>Memory from /proc/PID/status: resident, split by kind, and the peak.</summary>
    public MemoryUse Memory()
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line.EndsWith(" kB", StringComparison.Ordinal))
            {
                values[line[..colon]] = long.Parse(line[(colon + 1)..^3].Trim(), CultureInfo.InvariantCulture) * 1024;
            }
        }

        return new MemoryUse(
            values.GetValueOrDefault("VmRSS"),
            values.GetValueOrDefault("RssAnon"),
            values.GetValueOrDefault("RssFile"),
            values.GetValueOrDefault("RssShmem"),
            values.GetValueOrDefault("VmHWM"));
    }

    public async Task<RpcUnixClient> ConnectAsync(CancellationToken cancellationToken) =>
        await RpcUnixClient.ConnectAsync(SocketPath, cancellationToken);

    /// <summary>SIGTERM (graceful shutdown), then SIGKILL if it has not exited within the grace.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }

        // .NET has no managed way to send SIGTERM; kill(1) does it without unsafe interop.
        await ProcessRunner.RunAsync("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10), CancellationToken.None);
        using var deadline = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            Progress.Say($"scriptexecd {Pid} did not stop within {grace.TotalSeconds} s; killing it");
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(30));
        _process.Dispose();
    }

    private string LogText
    {
        get
        {
            lock (_log)
            {
                return string.Join('\n', _log);
            }
        }
    }

    private static DaemonProcess Launch(string dll, string directory, string name, JsonObject? config)
    {
        var dataDirectory = Path.Combine(directory, name);
        var socketPath = Path.Combine(directory, name + ".sock");
        var port = FreeLoopbackPort();
        var info = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = directory,
        };
        foreach (var argument in new[] { dll, "--data-dir", dataDirectory, "--socket", socketPath, "--listen", $"http://127.0.0.1:{port}" })
        {
            info.ArgumentList.Add(argument);
        }

        if (config is not null)
        {
            var configPath = Path.Combine(directory, name + ".config.json");
            File.WriteAllText(configPath, config.ToJsonString());
            info.ArgumentList.Add("--config");
            info.ArgumentList.Add(configPath);
        }

        // The benchmark's own environment must not leak daemon settings in.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("SCRIPTEXEC_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }

        var process = new Process { StartInfo = info };
        var daemon = new DaemonProcess(process, dataDirectory, socketPath, port);
        process.OutputDataReceived += (_, e) => daemon.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => daemon.Keep(e.Data);
        var started = Stopwatch.GetTimestamp();
        process.Start();
        daemon._startedAt = started;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return daemon;
    }

    private async Task WaitReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"scriptexecd exited with {_process.ExitCode} before it was ready:\n{LogText}");
            }

            try
            {
                await using var client = await RpcUnixClient.ConnectAsync(SocketPath, deadline.Token);
                AcceptingAfter = Stopwatch.GetElapsedTime(_startedAt);
                await client.CallAsync("status", new JsonObject(), deadline.Token);
                ReadyAfter = Stopwatch.GetElapsedTime(_startedAt);
                return;
            }
            catch (Exception e) when (e is SocketException or IOException && !deadline.IsCancellationRequested)
            {
                // Not listening yet (no socket file, or refused): poll again shortly.
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new InvalidOperationException($"scriptexecd was not ready within {timeout.TotalSeconds} s:\n{LogText}");
            }

            await Task.Delay(1, deadline.Token);
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.Enqueue(line);
            while (_log.Count > LogLinesKept)
            {
                _log.Dequeue();
            }
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }
}

/// <summary>
/// A process's memory, in bytes. Anonymous is mostly the GC heap and native allocations; file-backed is mapped
/// code (runtime, framework, assemblies); shared memory is the runtime's double-mapped JIT code (W^X).
/// </summary>
internal readonly record struct MemoryUse(long Rss, long RssAnon, long RssFile, long RssShmem, long Peak)
{
    private const double MiB = 1024 * 1024;

    public JsonObject ToJson() => new()
    {
        ["rss_mib"] = Report.Round(Rss / MiB),
        ["rss_anon_mib"] = Report.Round(RssAnon / MiB),
        ["rss_file_mib"] = Report.Round(RssFile / MiB),
        ["rss_shmem_mib"] = Report.Round(RssShmem / MiB),
        ["peak_rss_mib"] = Report.Round(Peak / MiB),
    };
}
