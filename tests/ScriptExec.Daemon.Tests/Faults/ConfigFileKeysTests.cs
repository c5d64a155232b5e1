using System.Text.Json.Nodes;

namespace ScriptExec.Daemon.Tests.Faults;

/// <summary>
/// The JSON config file is as strict as the command line: a key nothing reads (a typo, or a field nested where
/// none belongs) stops the start with exit status 2 and a message naming it, instead of leaving the setting it was
/// meant to change at its default (an open allow-list, a missing token) without a word.
/// </summary>
[Category("Faults")]
public sealed class ConfigFileKeysTests
{
    private const string Hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    private string _dir = "";

    [SetUp]
    public void CreateDir() => _dir = Directory.CreateTempSubdirectory("scriptexec-config-").FullName;

    [TearDown]
    public void DeleteDir() => Directory.Delete(_dir, recursive: true);

    [TestCase("""{"allowed_origin": ["https://ui.example"]}""", "'allowed_origin'")]
    [TestCase("""{"token": [{"user": "ui", "role": "viewer", "sha256": "HASH"}]}""", "'token'")]
    [TestCase("""{"tokens": [{"user": "ui", "role": "viewer", "sha256": "HASH", "token": "x"}]}""", "'tokens[0].token'")]
    [TestCase("""{"tokens": [{"user": "ui", "role": "viewer", "sha265": "HASH"}]}""", "'tokens[0].sha265'")]
    [TestCase("""{"unix_roles": {"adm": {"role": "admin"}}}""", "'unix_roles.adm.role'")]
    [TestCase("""{"allowed_origins": [{"origin": "https://ui.example"}]}""", "allowed_origins[0]")]
    [TestCase("""{"listen": {"url": "http://127.0.0.1:1"}}""", "'listen.url'")]
    [TestCase("""{"max_conections": 10}""", "'max_conections'")]
    [TestCase("""{"socket_group": "no-such-group", "max_connection": 10}""", "'max_connection'")]
    [TestCase("""{"socket_group": "no-such-group", "max_connections": 10}""", "socket_group:")]
    [TestCase("""{"data_dir": "/tmp/x", "data_dir": "/tmp/y"}""", "data_dir")]
    [TestCase("""{"max_connections": 10""", "config:")]
    public void A_key_nothing_reads_stops_the_start_naming_it(string json, string named)
    {
        var config = Write(json.Replace("HASH", Hash, StringComparison.Ordinal));

        Assert.That(
            () => DaemonHost.Build(["--data-dir", _dir, "--socket", Path.Combine(_dir, "d.sock"), "--listen", "none", "--config", config]),
            Throws.TypeOf<OptionsException>().With.Message.Contains(named));
    }

    [Test]
    public async Task Every_documented_key_is_accepted()
    {
        var config = Write(new JsonObject
        {
            ["max_connections"] = 10,
            ["message_timeout_s"] = 5,
            ["max_message_bytes"] = 65536,
            ["retention_max_executions"] = 10,
            ["allowed_origins"] = new JsonArray("https://ui.example"),
            ["unix_roles"] = new JsonObject { ["adm"] = "admin" },
            ["tokens"] = new JsonArray(new JsonObject { ["user"] = "ui", ["role"] = "viewer", ["sha256"] = Hash }),
        }.ToJsonString());

        await using var app = DaemonHost.Build(["--data-dir", _dir, "--socket", Path.Combine(_dir, "d.sock"), "--listen", "none", "--config", config]);

        Assert.That(app.Services.GetService(typeof(DaemonOptions)), Has.Property("MaxConnections").EqualTo(10));
    }

    [Test]
    public async Task The_daemon_exits_with_status_2_and_names_the_key()
    {
        var config = Write("""{"allowed_origin": ["https://ui.example"]}""");

        var (exitCode, output) = await DaemonProcess.RunUntilExitAsync(
            "--data-dir", _dir, "--socket", Path.Combine(_dir, "d.sock"), "--listen", "none", "--config", config);

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.EqualTo(2), output);
            Assert.That(output, Does.Contain("unknown key 'allowed_origin'"));
        });
    }

    private string Write(string json)
    {
        var path = Path.Combine(_dir, "config.json");
        File.WriteAllText(path, json);
        return path;
    }
}
