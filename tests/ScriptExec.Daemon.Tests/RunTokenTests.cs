using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ScriptExec.Daemon.Tests;

/// <summary>
/// A run's token (stdin payload): the script calls the daemon back with it on the Unix socket (authenticate) and
/// on the WebSocket (bearer); it carries the instance's role, dies with the run, and appears in no reply,
/// notification or log line.
/// </summary>
public sealed class RunTokenTests
{
    // Reads the payload, keeps the token in the workdir (for the test to try after the run), and talks JSON-RPC
    // over the socket one request at a time: authenticate must be answered before the next call is sent.
    private const string CallBack = """
        #!/bin/bash
        read -r payload
        token=$(printf '%s' "$payload" | sed 's/.*"token":"\([^"]*\)".*/\1/')
        socket=$(printf '%s' "$payload" | sed 's/.*"socket":"\([^"]*\)".*/\1/')
        printf '%s' "$token" > token
        coproc RPC { socat - "UNIX-CONNECT:$socket"; }
        call() { printf '%s\n' "$1" >&"${RPC[1]}"; read -r reply <&"${RPC[0]}"; echo "$reply" | sed "s/$token/TOKEN/g"; }
        call '{"jsonrpc":"2.0","id":1,"method":"authenticate","params":{"token":"'"$token"'"}}'
        call '{"jsonrpc":"2.0","id":2,"method":"state_set","params":{"xpath":"/from/script","value":"hello"}}'
        """;

    private CapturingLoggerProvider _logs = null!;
    private DaemonUnderTest _daemon = null!;
    private RpcClient _client = null!;

    [SetUp]
    public async Task StartAsync()
    {
        if (!File.Exists("/usr/bin/socat"))
        {
            Assert.Ignore("socat is not installed (the CI installs it): the script needs it to reach the Unix socket");
        }

        _logs = new CapturingLoggerProvider();
        _daemon = await DaemonUnderTest.StartAsync(null, services => services.AddSingleton<ILoggerProvider>(_logs));
        _client = await _daemon.ConnectAsync("websocket");
    }

    [TearDown]
    public async Task StopAsync()
    {
        // Null when the set-up was skipped (no socat, or a native binary under test with no logger to capture).
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }

        if (_daemon is not null)
        {
            await _daemon.DisposeAsync();
        }

        _logs?.Dispose();
    }

    [Test]
    public async Task A_script_calls_back_with_its_token_and_the_token_appears_nowhere()
    {
        var seen = new List<string>();
        async Task<JsonNode> Call(string method, object parameters)
        {
            var result = await _client.CallAsync(method, parameters);
            seen.Add(result.ToJsonString());
            return result;
        }

        await Call("execution_subscribe", new { output = true });
        await Call("script_set", new { name = "cb", source = CallBack });
        await Call("script_instance_set", new { script_name = "cb", instance_name = "i", start_trigger = new { type = "manual" } });
        var id = (await Call("script_start", new { script_name = "cb", instance_name = "i" }))["execution"]!["id"]!.GetValue<long>();
        var ended = await Eventually.ValueAsync(
            async () => (await _client.CallAsync("script_execution_get", new
            {
                filter = new { instances = new[] { new { script_name = "cb" } } },
                pagination = new { limit = -1 },
            }))["executions"]![0]!,
            e => e["state"]!.GetValue<string>() is "finished" or "killed",
            "the call-back run ends");
        var lines = await _client.ReadAllContentAsync(id);
        seen.AddRange(lines);
        var state = await Call("state_get", new { xpath = "/from/script" });
        // Every notification the run caused (changes and output), until none is left.
        while (seen.Count < 1000 && await NextNotificationOrNullAsync() is { } note)
        {
            seen.Add(note);
        }

        var token = await File.ReadAllTextAsync(Path.Combine(_daemon.DataDir, "work", "cb", "i", "token"));
        Assert.Multiple(() =>
        {
            Assert.That(ended["exit_code"]!.GetValue<int>(), Is.EqualTo(0), string.Join("\n", lines));
            Assert.That(lines[0], Does.Contain("\"role\":\"operator\"").And.Contain("\"execution_id\":" + id));
            Assert.That(state["value"]!.GetValue<string>(), Is.EqualTo("hello"), "state_set with the run's token");
            Assert.That(token, Has.Length.EqualTo(43));
            Assert.That(seen.Where(s => s.Contains(token, StringComparison.Ordinal)), Is.Empty, "replies and notifications");
            Assert.That(_logs.Lines.Where(l => l.Contains(token, StringComparison.Ordinal)), Is.Empty, "log lines");
        });

        // The run has ended: its token is dead on both transports.
        await using var unix = await RpcClient.ConnectUnixAsync(_daemon.SocketPath);
        var refused = await unix.CallErrorAsync("authenticate", new { token });
        Assert.That(refused["data"]!["reason"]!.GetValue<string>(), Is.EqualTo("forbidden"));
        Assert.ThrowsAsync(Is.InstanceOf<Exception>(), async () => await RpcClient.ConnectWebSocketAsync(_daemon.WebSocketUri, token));
    }

    [Test]
    public async Task A_token_carries_the_instance_role_and_a_viewer_run_may_not_write_state()
    {
        await _client.CallAsync("script_set", new { name = "cb", source = CallBack });
        await _client.CallAsync("script_instance_set", new { script_name = "cb", instance_name = "v", role = "viewer", start_trigger = new { type = "manual" } });
        var id = (await _client.CallAsync("script_start", new { script_name = "cb", instance_name = "v" }))["execution"]!["id"]!.GetValue<long>();
        var lines = await Eventually.ValueAsync(
            async () => await _client.ReadAllContentAsync(id), l => l.Count >= 2, "both replies are in the run's output");

        Assert.Multiple(() =>
        {
            Assert.That(lines[0], Does.Contain("\"role\":\"viewer\""));
            Assert.That(lines[1], Does.Contain("state_set needs the operator role"));
        });
    }

    [Test]
    public async Task A_running_scripts_token_opens_the_WebSocket_as_its_run()
    {
        await _client.CallAsync("script_set", new { name = "hold", source = "#!/bin/sh\nread -r payload\nprintf '%s' \"$payload\" | sed 's/.*\"token\":\"\\([^\"]*\\)\".*/\\1/' > token\nexec sleep 60\n" });
        await _client.CallAsync("script_instance_set", new { script_name = "hold", instance_name = "i", start_trigger = new { type = "manual" } });
        await _client.CallAsync("script_start", new { script_name = "hold", instance_name = "i" });
        var tokenFile = Path.Combine(_daemon.DataDir, "work", "hold", "i", "token");
        var token = await Eventually.ValueAsync(
            async () => File.Exists(tokenFile) ? await File.ReadAllTextAsync(tokenFile) : "", t => t.Length == 43, "the script wrote its token");

        await using (var asRun = await RpcClient.ConnectWebSocketAsync(_daemon.WebSocketUri, token))
        {
            var set = await asRun.CallAsync("state_set", new { xpath = "/via/bearer", value = 1 });
            Assert.That(set["value"]!.GetValue<int>(), Is.EqualTo(1));
            await _client.CallAsync("script_stop", new { script_name = "hold", instance_name = "i", force = true });

            // The connection stays open, but acts no more once the run has ended.
            var refused = await Eventually.ValueAsync(
                async () => await asRun.CallRawAsync("state_get", new { xpath = "/via/bearer" }),
                r => r["error"] is not null,
                "the ended run's connection is refused");
            Assert.That(refused["error"]!["message"]!.GetValue<string>(), Does.Contain("no longer valid"));
        }
    }

    private async Task<string?> NextNotificationOrNullAsync()
    {
        try
        {
            return (await _client.NextNotificationAsync().WaitAsync(TimeSpan.FromMilliseconds(200))).ToJsonString();
        }
        catch (TimeoutException)
        {
            return null;
        }
    }
}
