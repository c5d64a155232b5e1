using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using ScriptExec.Daemon;

namespace ScriptExec.Testing;

/// <summary>
/// A real scriptexecd, built from its own command line and started in-process on a temp data dir, a temp Unix
/// socket and a free loopback port. Daemon.Tests and Cli.Tests both start it.
/// </summary>
/// <remarks>
/// With <c>SCRIPTEXECD_BINARY</c> (<see cref="DaemonProcess.BinaryVariable"/>) naming a native scriptexecd, the same
/// tests run against that binary instead, as its own process (CI's artifact pass): a test that needs the host's
/// internals (<see cref="Services"/>, service overrides) is then skipped, with the reason.
/// </remarks>
public sealed class DaemonUnderTest : IAsyncDisposable
{
    private const string InProcessOnly = "in-process only: this test reaches into the daemon's services, which a native binary under test does not expose";

    private readonly WebApplication? _app;
    private readonly DaemonProcess? _process;
    private bool _processStopped;

    private DaemonUnderTest(WebApplication? app, DaemonProcess? process, string dataDir, string socketPath, int port)
    {
        _app = app;
        _process = process;
        DataDir = dataDir;
        SocketPath = socketPath;
        Port = port;
    }

    /// <summary>The native binary the tests run against instead of the in-process host, if CI named one.</summary>
    public static string? Binary => Environment.GetEnvironmentVariable(DaemonProcess.BinaryVariable) is { Length: > 0 } binary ? binary : null;

    public string DataDir { get; }

    public string SocketPath { get; }

    public int Port { get; }

    public Uri WebSocketUri => new($"ws://127.0.0.1:{Port}/rpc");

    /// <summary>The WebSocket endpoint as a command line takes it (<c>--url</c>).</summary>
    public string WebSocketUrl => WebSocketUri.ToString();

    /// <summary>The admin token file the daemon wrote into its data dir.</summary>
    public string TokenPath => Path.Combine(DataDir, "admin.token");

    public string Token => File.ReadAllText(TokenPath).Trim();

    /// <summary>The daemon's process id: this process in-process, the binary's otherwise.</summary>
    public int Pid => _process?.Pid ?? Environment.ProcessId;

    public IServiceProvider Services => _app?.Services ?? throw new IgnoreException(InProcessOnly);

    public static Task<DaemonUnderTest> StartAsync(string? dataDir = null, params string[] extraArgs) =>
        StartAsync(dataDir, null, extraArgs);

    /// <param name="overrides">Service registrations applied last, e.g. a fake <see cref="TimeProvider"/>.</param>
    public static async Task<DaemonUnderTest> StartAsync(string? dataDir, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? overrides, params string[] extraArgs)
    {
        dataDir ??= Directory.CreateTempSubdirectory("scriptexec-test-").FullName;

        // Socket paths are limited to 108 bytes: keep them short, in /tmp.
        var socketPath = Path.Combine(dataDir, "d.sock");
        var socketOverride = Array.IndexOf(extraArgs, "--socket");
        if (socketOverride >= 0)
        {
            socketPath = extraArgs[socketOverride + 1];
        }

        // The output budget off: capture tests count every line they print. Budget tests pass their own values
        // after these (the last switch wins).
        string[] budgetOff = ["--output-budget-bytes-per-s", "0", "--output-budget-lines-per-s", "0"];
        if (Binary is not null)
        {
            if (overrides is not null)
            {
                Assert.Ignore(InProcessOnly);
            }

            var process = await DaemonProcess.StartAsync(new DaemonLaunch(dataDir)
            {
                SocketPath = socketPath,
                ExtraArgs = [.. budgetOff, .. extraArgs],
                LogLinesKept = 200,
            });

            // Ready means status answered on the Unix socket; the TCP endpoint (TLS: after loading its certificate)
            // may bind a moment later, where the in-process host's StartAsync returned only with both bound.
            var listen = extraArgs.Select((a, i) => (a, i)).LastOrDefault(p => p.a == "--listen").i is var at && at > 0
                ? extraArgs[at + 1]
                : $"http://127.0.0.1:{process.Port}";
            if (Uri.TryCreate(listen, UriKind.Absolute, out var uri))
            {
                await Eventually.ThatAsync(() => Accepts(uri.Port), $"scriptexecd to accept on {listen}:\n{process.Log}");
            }

            return new DaemonUnderTest(null, process, dataDir, socketPath, process.Port);
        }

        var port = FreePort();
        var app = DaemonHost.Build(
        [
            "--data-dir", dataDir,
            "--socket", socketPath,
            "--listen", $"http://127.0.0.1:{port}",
            .. budgetOff,
            .. extraArgs,
        ], overrides);
        await app.StartAsync();
        return new DaemonUnderTest(app, null, dataDir, socketPath, port);
    }

    private static async Task<bool> Accepts(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task<RpcClient> ConnectAsync(string transport) => transport switch
    {
        "unix" => await RpcClient.ConnectUnixAsync(SocketPath),
        "websocket" => await RpcClient.ConnectWebSocketAsync(WebSocketUri, Token),
        _ => throw new ArgumentOutOfRangeException(nameof(transport), transport, null),
    };

    /// <summary>Stops the daemon as SIGTERM would, and leaves the data dir for a restart.</summary>
    public async Task StopAsync()
    {
        if (_process is not null)
        {
            if (!_processStopped)
            {
                _processStopped = true;
                await _process.DisposeAsync();
            }

            return;
        }

        await _app!.StopAsync();
        await _app.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (ObjectDisposedException)
        {
            // Already stopped by the test.
        }

        // The data directory goes, and with it the key of the cgroups its daemon may have left.
        CgroupLeftovers.RemoveFor(DataDir);
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
            // A process the test left may still hold a file; the temp dir is cleaned by the OS eventually.
        }
    }
}
