using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;

namespace ScriptExec.Testing;

/// <summary>
/// The built scriptexecd run as its own OS process on a given data dir, so a test can <c>kill -9</c> it and start it
/// again. Its log is kept for failure messages.
/// </summary>
public sealed class DaemonProcess : IDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();

    private DaemonProcess(Process process, string socketPath, string dataDir, int port)
    {
        _process = process;
        SocketPath = socketPath;
        DataDir = dataDir;
        Port = port;
    }

    public string SocketPath { get; }

    public string DataDir { get; }

    /// <summary>The loopback port of the WebSocket endpoint.</summary>
    public int Port { get; }

    public Uri WebSocketUri => new($"ws://127.0.0.1:{Port}/rpc");

    public string Token => File.ReadAllText(Path.Combine(DataDir, "admin.token")).Trim();

    public bool HasExited => _process.HasExited;

    public int Pid => _process.Id;

    /// <summary>What the daemon wrote to stdout and stderr so far.</summary>
    public string Log => string.Join('\n', _log);

    /// <summary>Starts the daemon on <paramref name="dataDir"/> and returns once it answers <c>status</c> on its socket.</summary>
    /// <param name="openFileLimit">RLIMIT_NOFILE (soft and hard) to run it under, with prlimit; null to inherit ours.</param>
    public static Task<DaemonProcess> StartAsync(string dataDir, int? openFileLimit = null, params string[] extraArgs) =>
        StartAsync(Launch(dataDir, openFileLimit, extraArgs));

    /// <summary>As <see cref="StartAsync(string, int?, string[])"/>, with variables added to the daemon's environment (e.g. the test-only crash switch).</summary>
    public static Task<DaemonProcess> StartAsync(string dataDir, IReadOnlyDictionary<string, string> environment) =>
        StartAsync(Launch(dataDir, null, [], environment));

    private static async Task<DaemonProcess> StartAsync(DaemonProcess daemon)
    {
        try
        {
            await daemon.WaitUntilReadyAsync();
        }
        catch
        {
            daemon.Dispose();
            throw;
        }

        return daemon;
    }

    /// <summary>Runs a daemon that is expected to refuse to start; returns its exit status and what it wrote.</summary>
    public static async Task<(int ExitCode, string Log)> RunUntilExitAsync(string dataDir, int? openFileLimit, TimeSpan timeout, params string[] extraArgs)
    {
        using var daemon = Launch(dataDir, openFileLimit, extraArgs);
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

    private static DaemonProcess Launch(
        string dataDir, int? openFileLimit, string[] extraArgs, IReadOnlyDictionary<string, string>? environment = null)
    {
        var socketPath = Path.Combine(dataDir, "d.sock");
        var port = DaemonUnderTest.FreePort();
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var (fileName, prefix) = Command();
        start.FileName = openFileLimit is null ? fileName : "prlimit";
        string[] limit = openFileLimit is { } nofile ? [$"--nofile={nofile}", "--", fileName] : [];
        foreach (var argument in limit.Concat(prefix).Concat(
        [
            "--data-dir", dataDir,
            "--socket", socketPath,
            "--listen", $"http://127.0.0.1:{port}",
            .. extraArgs,
        ]))
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        var daemon = new DaemonProcess(process, socketPath, dataDir, port);
        process.OutputDataReceived += (_, e) => daemon.Collect(e.Data);
        process.ErrorDataReceived += (_, e) => daemon.Collect(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return daemon;
    }

    public Task<RpcClient> ConnectAsync() => RpcClient.ConnectUnixAsync(SocketPath);

    /// <summary>Runs scriptexecd with <paramref name="args"/> that must make it refuse to start; returns its exit status and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunUntilExitAsync(params string[] args)
    {
        var (fileName, prefix) = Command();
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

    /// <summary>SIGKILL: the daemon gets no chance to stop or record anything.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
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

    /// <summary>
    /// <c>dotnet scriptexecd.dll</c> from this test's output (the Daemon project is referenced), or the daemon
    /// project's own apphost build when the test output has no runnable copy.
    /// </summary>
    private static (string FileName, string[] Prefix) Command()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "scriptexecd.dll");
        if (File.Exists(dll) && File.Exists(Path.Combine(AppContext.BaseDirectory, "scriptexecd.runtimeconfig.json")))
        {
            var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
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
        if (line is not null)
        {
            _log.Enqueue(line);
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                Assert.Fail($"scriptexecd exited with {_process.ExitCode} before it was ready:\n{Log}");
            }

            try
            {
                await using var client = await ConnectAsync();
                var status = await client.CallRawAsync("status");
                if (status["result"] is not null)
                {
                    return;
                }
            }
            catch (Exception e) when (e is SocketException or IOException or TimeoutException)
            {
                // Not listening yet (or a stale socket file of the previous, killed daemon).
            }

            if (deadline.Elapsed > ReadyTimeout)
            {
                Assert.Fail($"scriptexecd did not answer status within {ReadyTimeout}:\n{Log}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
    }
}
