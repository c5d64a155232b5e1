using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using ScriptExec.Daemon;

namespace ScriptExec.Testing;

/// <summary>
/// A real scriptexecd, built from its own command line and started in-process on a temp data dir, a temp Unix
/// socket and a free loopback port. Daemon.Tests and Cli.Tests both start it.
/// </summary>
public sealed class DaemonUnderTest : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DaemonUnderTest(WebApplication app, string dataDir, string socketPath, int port)
    {
        _app = app;
        DataDir = dataDir;
        SocketPath = socketPath;
        Port = port;
    }

    public string DataDir { get; }

    public string SocketPath { get; }

    public int Port { get; }

    public Uri WebSocketUri => new($"ws://127.0.0.1:{Port}/rpc");

    /// <summary>The WebSocket endpoint as a command line takes it (<c>--url</c>).</summary>
    public string WebSocketUrl => WebSocketUri.ToString();

    /// <summary>The admin token file the daemon wrote into its data dir.</summary>
    public string TokenPath => Path.Combine(DataDir, "admin.token");

    public string Token => File.ReadAllText(TokenPath).Trim();

    public IServiceProvider Services => _app.Services;

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

        var port = FreePort();
        var app = DaemonHost.Build(
        [
            "--data-dir", dataDir,
            "--socket", socketPath,
            "--listen", $"http://127.0.0.1:{port}",

            // The output budget off: capture tests count every line they print. Budget tests pass their own values
            // after these (the last switch wins).
            "--output-budget-bytes-per-s", "0",
            "--output-budget-lines-per-s", "0",
            .. extraArgs,
        ], overrides);
        await app.StartAsync();
        return new DaemonUnderTest(app, dataDir, socketPath, port);
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
        await _app.StopAsync();
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
