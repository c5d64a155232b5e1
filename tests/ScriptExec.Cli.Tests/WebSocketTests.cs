using ScriptExec.Cli.Tests.Support;

namespace ScriptExec.Cli.Tests;

/// <summary>The WebSocket path: <c>--url</c> with the token from a flag, a file, the environment, or the data dir.</summary>
public sealed class WebSocketTests : CliFixture
{
    [Test]
    public async Task Token_flag_connects()
    {
        var result = await new CliRunner(["--url", Daemon.WebSocketUrl, "--token", Daemon.Token]).RunAsync("status", "--json");
        Assert.That(result.ExitCode, Is.Zero, result.ToString);
    }

    [Test]
    public async Task Token_file_connects()
    {
        var result = await new CliRunner(["--url", Daemon.WebSocketUrl, "--token-file", Daemon.TokenPath]).RunAsync("scripts");
        Assert.That(result.ExitCode, Is.Zero, result.ToString);
    }

    [Test]
    public async Task Token_defaults_to_admin_token_in_the_data_dir_and_url_defaults_to_rpc()
    {
        var result = await new CliRunner(["--url", $"ws://127.0.0.1:{Daemon.Port}", "--data-dir", Daemon.DataDir]).RunAsync("scripts");
        Assert.That(result.ExitCode, Is.Zero, result.ToString);
    }

    [Test]
    public async Task Environment_supplies_url_and_token()
    {
        var environment = new Dictionary<string, string> { ["SCRIPTEXEC_URL"] = Daemon.WebSocketUrl, ["SCRIPTEXEC_TOKEN"] = Daemon.Token };
        var result = await new CliRunner([], environment).RunAsync("status");
        Assert.That(result.ExitCode, Is.Zero, result.ToString);
    }

    [Test]
    public async Task Wrong_token_exits_3_and_says_the_token_was_refused()
    {
        var result = await new CliRunner(["--url", Daemon.WebSocketUrl, "--token", "not-the-token-at-all"]).RunAsync("status");
        Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString);
        Assert.That(result.Stderr, Does.Contain("refused the token (HTTP 401)"));
    }

    [Test]
    public async Task Missing_token_file_exits_3()
    {
        var result = await new CliRunner(["--url", Daemon.WebSocketUrl, "--token-file", Path.Combine(WorkDir, "absent.token")]).RunAsync("status");
        Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString);
        Assert.That(result.Stderr, Does.Contain("cannot read the token file"));
    }

    [Test]
    public async Task Nothing_listening_on_the_url_exits_3()
    {
        var result = await new CliRunner(["--url", $"ws://127.0.0.1:{DaemonUnderTest.FreePort()}/rpc", "--token", "x"]).RunAsync("status");
        Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString);
    }
}
