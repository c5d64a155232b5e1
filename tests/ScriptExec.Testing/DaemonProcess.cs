using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace ScriptExec.Testing;

/// <summary>
/// The built scriptexecd run as its own OS process on a given data dir, so a test can <c>kill -9</c> it and start it
/// again, and a benchmark can measure it from outside. Its log is kept for failure messages.
/// </summary>
public sealed class DaemonProcess : IDisposable, IAsyncDisposable
{
    /// <summary>Names a native scriptexecd executable that every launch without its own Executable or Dll runs.</summary>
    public const string BinaryVariable = "SCRIPTEXECD_BINARY";

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly int? _logLinesKept;
    private readonly Queue<string> _log = new();
    private long _startedAt;

    private DaemonProcess(Process process, DaemonLaunch launch, string socketPath, int port)
    {
        _process = process;
        _logLinesKept = launch.LogLinesKept;
        SocketPath = socketPath;
        DataDir = launch.DataDir;
        Port = port;
    }

    public string SocketPath { get; }

    public string DataDir { get; }

    public string DatabasePath => Path.Combine(DataDir, "scriptexec.db");

    /// <summary>The loopback port of the WebSocket endpoint.</summary>
    public int Port { get; }

    public Uri WebSocketUri => new(string.Create(CultureInfo.InvariantCulture, $"ws://127.0.0.1:{Port}/rpc"));

    /// <summary>The admin token the daemon generated in its data dir (for the WebSocket).</summary>
    public string Token => File.ReadAllText(Path.Combine(DataDir, "admin.token")).Trim();

    public bool HasExited => _process.HasExited;

    public int Pid => _process.Id;

    /// <summary>Process start to the first answered <c>status</c>.</summary>
    public TimeSpan ReadyAfter { get; private set; }

    /// <summary>Process start to the first accepted connection on the Unix socket (part of <see cref="ReadyAfter"/>).</summary>
    public TimeSpan AcceptingAfter { get; private set; }

    /// <summary>What the daemon wrote to stdout and stderr so far (the last lines only, when the launch bounds them).</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return string.Join('\n', _log);
            }
        }
    }

    /// <summary>Starts the daemon on <paramref name="dataDir"/> and returns once it answers <c>status</c> on its socket.</summary>
    /// <param name="openFileLimit">RLIMIT_NOFILE (soft and hard) to run it under, with prlimit; null to inherit ours.</param>
    public static Task<DaemonProcess> StartAsync(string dataDir, int? openFileLimit = null, params string[] extraArgs) =>
        StartAsync(new DaemonLaunch(dataDir) { OpenFileLimit = openFileLimit, ExtraArgs = extraArgs });

    /// <summary>As <see cref="StartAsync(string, int?, string[])"/>, with variables added to the daemon's environment (e.g. the test-only crash switch).</summary>
    public static Task<DaemonProcess> StartAsync(string dataDir, IReadOnlyDictionary<string, string> environment) =>
        StartAsync(new DaemonLaunch(dataDir) { Environment = environment });

    /// <summary>Starts the daemon as <paramref name="launch"/> says and returns once it answers <c>status</c> on its socket.</summary>
    public static async Task<DaemonProcess> StartAsync(DaemonLaunch launch, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            var daemon = Launch(launch);
            try
            {
                await daemon.WaitUntilReadyAsync(cancellationToken);
                return daemon;
            }
            catch (InvalidOperationException) when (attempt < 3 && daemon.Log.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
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

    /// <summary>Runs a daemon that is expected to refuse to start; returns its exit status and what it wrote.</summary>
    public static async Task<(int ExitCode, string Log)> RunUntilExitAsync(string dataDir, int? openFileLimit, TimeSpan timeout, params string[] extraArgs)
    {
        using var daemon = Launch(new DaemonLaunch(dataDir) { OpenFileLimit = openFileLimit, ExtraArgs = extraArgs });
        try
        {
            await daemon._process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"scriptexecd was still running after {timeout}:\n{daemon.Log}");
        }

        // The exit is seen before the last output lines are collected; WaitForExit() without a timeout waits for them.
        daemon._process.WaitForExit();
        return (daemon._process.ExitCode, daemon.Log);
    }

    /// <summary>Runs scriptexecd with <paramref name="args"/> that must make it refuse to start; returns its exit status and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunUntilExitAsync(params string[] args)
    {
        var (fileName, prefix) = Command(null, null);
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in prefix.Concat(args))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(ReadyTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // It started after all: nothing may outlive the test.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            Assert.Fail($"scriptexecd did not exit within {ReadyTimeout}");
        }

        return (process.ExitCode, await output + await error);
    }

    public Task<RpcClient> ConnectAsync(CancellationToken cancellationToken = default) =>
        RpcClient.ConnectUnixAsync(SocketPath, cancellationToken);

    /// <summary>SIGKILL: the daemon gets no chance to stop or record anything.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM (graceful shutdown), then SIGKILL if it has not exited within <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }

        // .NET has no managed way to send SIGTERM; kill(1) does it without unsafe interop.
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])!)
        {
            await kill.WaitForExitAsync();
        }

        if (await WaitForExitAsync(grace) is null)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }
    }

    /// <summary>The daemon's exit status once it has exited within <paramref name="timeout"/> (137: killed by SIGKILL); null if it still runs.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Kills the daemon if it still runs: a test's daemon has nothing left to finish.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Never started, or already gone.
        }

        _process.Dispose();
    }

    /// <summary>Stops the daemon gracefully (SIGTERM, SIGKILL after 30 s), as a benchmark ends a run.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync(TimeSpan.FromSeconds(30));
        }
        catch (InvalidOperationException)
        {
            // Never started, or already gone.
        }

        _process.Dispose();
    }

    private static DaemonProcess Launch(DaemonLaunch launch)
    {
        var socketPath = launch.SocketPath ?? Path.Combine(launch.DataDir, "d.sock");
        var port = DaemonUnderTest.FreePort();
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (launch.WorkingDirectory is { } workingDirectory)
        {
            start.WorkingDirectory = workingDirectory;
        }

        if (launch.ClearDaemonEnvironment)
        {
            // The caller's own environment must not leak daemon settings in.
            foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("SCRIPTEXEC_", StringComparison.Ordinal)).ToList())
            {
                start.Environment.Remove(key);
            }
        }

        foreach (var (name, value) in launch.Environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var (fileName, prefix) = Command(launch.Executable, launch.Dll);
        start.FileName = launch.OpenFileLimit is null ? fileName : "prlimit";
        string[] limit = launch.OpenFileLimit is { } nofile ? [$"--nofile={nofile}", "--", fileName] : [];
        foreach (var argument in limit.Concat(prefix).Concat(
        [
            "--data-dir", launch.DataDir,
            "--socket", socketPath,
            "--listen", $"http://127.0.0.1:{port}",
            .. launch.ExtraArgs,
        ]))
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        var daemon = new DaemonProcess(process, launch, socketPath, port);
        process.OutputDataReceived += (_, e) => daemon.Collect(e.Data);
        process.ErrorDataReceived += (_, e) => daemon.Collect(e.Data);
        var started = Stopwatch.GetTimestamp();
        process.Start();
        daemon._startedAt = started;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return daemon;
    }

    /// <summary>
    /// The given native executable; else <c>dotnet scriptexecd.dll</c>: the given one; else the executable named by
    /// <c>SCRIPTEXECD_BINARY</c> (to run a suite against a published native build); else the dll in the caller's
    /// output (the kit references the Daemon project), or the daemon project's own apphost build when the output has
    /// no runnable copy.
    /// </summary>
    private static (string FileName, string[] Prefix) Command(string? executable, string? dll)
    {
        if (executable is not null)
        {
            return (executable, []);
        }

        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        if (dll is not null)
        {
            return (dotnet, [dll]);
        }

        if (Environment.GetEnvironmentVariable(BinaryVariable) is { Length: > 0 } binary)
        {
            return (binary, []);
        }

        dll = Path.Combine(AppContext.BaseDirectory, "scriptexecd.dll");
        if (File.Exists(dll) && File.Exists(Path.Combine(AppContext.BaseDirectory, "scriptexecd.runtimeconfig.json")))
        {
            return (dotnet, [dll]);
        }

        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "ScriptExec.sln")))
        {
            root = Path.GetDirectoryName(root.TrimEnd('/')) ?? throw new FileNotFoundException("scriptexecd was not found next to the tests");
        }

        return (Path.Combine(root, "src", "ScriptExec.Daemon", "bin", configuration, "net10.0", "scriptexecd"), []);
    }

    private void Collect(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.Enqueue(line);
            while (_log.Count > _logLinesKept)
            {
                _log.Dequeue();
            }
        }
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        // Polled every millisecond: start-up is measured by benchmarks to the moment status answers.
        var ready = await Eventually.TryAsync(
            async () =>
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"scriptexecd exited with {_process.ExitCode} before it was ready:\n{Log}");
                }

                // A stat per poll until the socket exists, rather than a failed connect and its exception every
                // millisecond on the cores the starting daemon needs.
                if (!File.Exists(SocketPath))
                {
                    return false;
                }

                try
                {
                    await using var client = await ConnectAsync(cancellationToken);
                    AcceptingAfter = Stopwatch.GetElapsedTime(_startedAt);
                    var status = await client.CallRawAsync("status");
                    ReadyAfter = Stopwatch.GetElapsedTime(_startedAt);
                    return status["result"] is not null;
                }
                catch (Exception e) when (e is SocketException or IOException or TimeoutException)
                {
                    // Not listening yet (or a stale socket file of the previous, killed daemon).
                    return false;
                }
            },
            ReadyTimeout,
            TimeSpan.FromMilliseconds(1),
            cancellationToken);
        if (!ready)
        {
            throw new InvalidOperationException($"scriptexecd did not answer status within {ReadyTimeout}:\n{Log}");
        }
    }
}
