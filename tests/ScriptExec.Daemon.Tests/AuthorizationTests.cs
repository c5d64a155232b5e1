using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace ScriptExec.Daemon.Tests;

/// <summary>Roles per token and per Unix group, the WebSocket upgrade checks, and the socket file's mode.</summary>
public sealed class AuthorizationTests
{
    private const string ViewerToken = "viewer-token-0123456789";
    private const string OperatorToken = "operator-token-0123456789";
    private const string AdminToken = "admin-token-0123456789abc";

    private DaemonUnderTest _daemon = null!;

    [OneTimeSetUp]
    public async Task StartDaemon()
    {
        var dataDir = Directory.CreateTempSubdirectory("scriptexec-auth-").FullName;
        var config = Path.Combine(dataDir, "config.json");
        await File.WriteAllTextAsync(config, new JsonObject
        {
            ["tokens"] = new JsonArray(
                Token("vera", "viewer", ViewerToken), Token("otto", "operator", OperatorToken), Token("ada", "admin", AdminToken)),
            ["allowed_origins"] = new JsonArray("https://ui.example"),
            ["unix_roles"] = new JsonObject { ["nogroup"] = "viewer" },
            ["socket_group"] = "nogroup",
        }.ToJsonString());

        // The socket lives in a directory others may enter, so a non-root peer can reach it (through its group).
        var socketDir = Directory.CreateTempSubdirectory("scriptexec-sock-").FullName;
        File.SetUnixFileMode(socketDir, (UnixFileMode)0b111_101_101);
        _daemon = await DaemonUnderTest.StartAsync(dataDir, overrides: null, "--config", config, "--socket", Path.Combine(socketDir, "d.sock"));
        await using var admin = await Connect(AdminToken);
        await admin.CallAsync("script_set", new { name = "auth", source = "true" });
        await admin.CallAsync("script_instance_set", new { script_name = "auth", instance_name = "i", start_trigger = new { type = "manual" } });
    }

    [OneTimeTearDown]
    public async Task StopDaemon() => await _daemon.DisposeAsync();

    [Test]
    public async Task Viewer_can_read_but_cannot_start()
    {
        await using var viewer = await Connect(ViewerToken);

        await viewer.CallAsync("script_execution_get", new { pagination = new { limit = -5 } });
        var error = await viewer.CallErrorAsync("script_start", new { script_name = "auth", instance_name = "i" });

        AssertForbidden(error);
    }

    [Test]
    public async Task Operator_can_start_but_cannot_set_scripts()
    {
        await using var operatorClient = await Connect(OperatorToken);

        var started = await operatorClient.CallAsync("script_start", new { script_name = "auth", instance_name = "i" });
        var error = await operatorClient.CallErrorAsync("script_set", new { name = "auth", source = "false" });

        Assert.That(started["execution"]!["start_trigger"]!["username"]!.GetValue<string>(), Is.EqualTo("otto"), "the start records who did it");
        AssertForbidden(error);
    }

    [Test]
    public async Task Operator_cannot_set_limits_the_cgroup_controller_ones_included()
    {
        await using var operatorClient = await Connect(OperatorToken);
        await using var admin = await Connect(AdminToken);

        var error = await operatorClient.CallErrorAsync("script_instance_set", new
        {
            script_name = "auth", instance_name = "i", start_trigger = new { type = "manual" },
            limits = new { memory_mb = 4096, pids = 100000, cpu_percent = 10000 },
        });
        var stored = await admin.CallAsync("script_instance_get", new { script_name = "auth", instance_name = "i" });

        AssertForbidden(error);
        Assert.That(stored["limits"]!.AsObject(), Is.Empty, "nothing of the refused set was stored");
    }

    [Test]
    public async Task Unix_peer_gets_the_role_of_its_group()
    {
        // Runs socat as nobody (primary group nogroup, mapped to viewer) against the daemon's socket.
        var replies = await RunAsNobodyAsync(
            """{"jsonrpc":"2.0","id":1,"method":"status"}""",
            """{"jsonrpc":"2.0","id":2,"method":"script_start","params":{"script_name":"auth","instance_name":"i"}}""");

        Assert.Multiple(() =>
        {
            Assert.That(replies[0]["result"], Is.Not.Null, replies[0].ToJsonString());
            Assert.That(replies[1]["error"]!["code"]!.GetValue<int>(), Is.EqualTo(1004), replies[1].ToJsonString());
        });
    }

    [Test]
    public async Task Unknown_token_is_refused_at_the_upgrade_with_401()
    {
        var status = await UpgradeStatusAsync(token: "not-a-token-at-all", origin: null);

        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Foreign_origin_is_refused_with_403_even_with_a_valid_token()
    {
        var status = await UpgradeStatusAsync(AdminToken, origin: "https://evil.example");

        Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [TestCase("own", TestName = "Same-origin upgrade is accepted")]
    [TestCase("https://ui.example", TestName = "Allow-listed origin is accepted")]
    public async Task Permitted_origin_is_accepted(string origin)
    {
        var status = await UpgradeStatusAsync(AdminToken, origin == "own" ? $"http://127.0.0.1:{_daemon.Port}" : origin);

        Assert.That(status, Is.EqualTo(HttpStatusCode.SwitchingProtocols));
    }

    [Test]
    public async Task Browser_token_in_the_query_string_is_accepted()
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(_daemon.WebSocketUri + "?access_token=" + ViewerToken), CancellationToken.None);

        Assert.That(socket.State, Is.EqualTo(WebSocketState.Open));
    }

    [Test]
    public void Socket_file_is_0660()
    {
        var mode = File.GetUnixFileMode(_daemon.SocketPath);

        Assert.That(mode, Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite));
    }

    private static JsonObject Token(string user, string role, string token) => new()
    {
        ["user"] = user,
        ["role"] = role,
        ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token))),
    };

    private static void AssertForbidden(JsonObject error) =>
        Assert.Multiple(() =>
        {
            Assert.That(error["code"]!.GetValue<int>(), Is.EqualTo(1004));
            Assert.That(error["data"]!["reason"]!.GetValue<string>(), Is.EqualTo("forbidden"));
        });

    private Task<RpcClient> Connect(string token) => RpcClient.ConnectWebSocketAsync(_daemon.WebSocketUri, token);

    private async Task<HttpStatusCode> UpgradeStatusAsync(string? token, string? origin)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (token is not null)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        }

        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }

        try
        {
            await socket.ConnectAsync(_daemon.WebSocketUri, CancellationToken.None);
        }
        catch (WebSocketException)
        {
            // Refused upgrades surface as exceptions; the status code is what the test looks at.
        }

        return socket.HttpStatusCode;
    }

    private async Task<List<JsonNode>> RunAsNobodyAsync(params string[] requests)
    {
        var start = new ProcessStartInfo("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "socat", "-t", "10", "-", "UNIX-CONNECT:" + _daemon.SocketPath])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        foreach (var request in requests)
        {
            await process.StandardInput.WriteLineAsync(request);
        }

        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var replies = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.That(replies, Has.Count.EqualTo(requests.Length), $"socat as nobody: exit {process.ExitCode}, stderr: {errors}");
        return [.. replies.OrderBy(r => r["id"]!.GetValue<int>())];
    }
}
