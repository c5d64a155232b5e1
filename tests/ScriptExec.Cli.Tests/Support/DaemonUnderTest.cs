using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using ScriptExec.Daemon;

namespace ScriptExec.Cli.Tests.Support;

/// <summary>A real scriptexecd started in-process on a temp data dir, a temp Unix socket and a free loopback port.</summary>
public sealed class DaemonUnderTest : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DaemonUnderTest(WebApplication app, string dataDir, int port)
    {
        _app = app;
        DataDir = dataDir;
        Port = port;
    }

    public string DataDir { get; }

    /// <summary>Socket paths are limited to 108 bytes: a short name in a temp dir.</summary>
    public string SocketPath => Path.Combine(DataDir, "d.sock");

    public int Port { get; }

    public string WebSocketUrl => $"ws://127.0.0.1:{Port}/rpc";

    public string TokenPath => Path.Combine(DataDir, "admin.token");

    public string Token => File.ReadAllText(TokenPath).Trim();

    public static async Task<DaemonUnderTest> StartAsync()
    {
        var dataDir = Directory.CreateTempSubdirectory("scriptexec-cli-").FullName;
        var port = FreePort();
        var app = DaemonHost.Build(["--data-dir", dataDir, "--socket", Path.Combine(dataDir, "d.sock"), "--listen", $"http://127.0.0.1:{port}"]);
        await app.StartAsync();
        return new DaemonUnderTest(app, dataDir, port);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
            // A script the test left may still hold a file; the OS cleans temp eventually.
        }
    }
}
