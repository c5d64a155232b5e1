using System.Net;
using System.Text;

namespace ScriptExec.Page.Tests;

/// <summary>The management page in headless chromium against a real daemon: login, create, start, follow, stop.</summary>
[TestFixture]
public sealed class PageWorkflowTests : PageSession
{
    private const string TickerSource = "#!/bin/sh\ni=0\nwhile true; do\n  i=$((i+1))\n  echo \"tick $i\"\n  echo \"warn $i\" >&2\n  sleep 0.2\ndone\n";

    [Test]
    public async Task A_wrong_token_is_refused_with_the_daemons_words_and_nothing_is_stored()
    {
        var page = await OpenAsync();
        await page.WaitUntilAsync("!document.getElementById('login').hidden", "the login form shows");

        await page.TypeAsync("#login-token", "this-is-not-the-token");
        await page.ClickAsync("#login-submit");
        await page.WaitUntilAsync("document.getElementById('login-error').textContent.length > 0", "the login error shows");

        var error = await page.EvaluateExpressionAsync<string>("document.getElementById('login-error').textContent");
        var stored = await page.EvaluateExpressionAsync<string?>("sessionStorage.getItem('scriptexec.token')");
        Assert.That(error, Is.EqualTo("Login failed: authenticate: the token is not valid (unknown, or its run has ended) (1004, forbidden)"));
        Assert.That(stored, Is.Null);
        Assert.That(await page.EvaluateExpressionAsync<bool>("document.getElementById('app').hidden"), Is.True);
    }

    [Test]
    public async Task Login_keeps_the_token_in_session_storage_never_in_the_address_and_survives_a_reload()
    {
        var page = await LoginAsync();

        Assert.That(page.Url, Does.Not.Contain(Daemon.Token));
        Assert.That(await page.EvaluateExpressionAsync<string>("sessionStorage.getItem('scriptexec.token')"), Is.EqualTo(Daemon.Token));
        await page.ReloadAsync();
        await page.WaitUntilAsync("!document.getElementById('app').hidden && document.getElementById('status-panel')?.textContent.includes('Executions')", "the status panel shows after a reload");
        Assert.That(await page.EvaluateExpressionAsync<string>("document.getElementById('status-panel').textContent"),
            Does.Contain("Health").And.Contain("Confinement and budget").And.Contain("writable"));
    }

    [Test]
    public async Task Create_a_script_and_an_instance_start_it_follow_its_output_live_and_stop_it()
    {
        var page = await LoginAsync("#/scripts");

        // A script, from the editor.
        await page.WaitUntilAsync("document.getElementById('new-script')", "the scripts view shows");
        await page.ClickAsync("#new-script");
        await page.WaitUntilAsync("document.getElementById('script-form')", "the script editor shows");
        await page.TypeAsync("#script-name", "ticker");
        await page.SetValueAsync("#script-description", "prints a tick on stdout and a warning on stderr");
        await page.SetValueAsync("#script-source", TickerSource);
        await page.ClickAsync("#script-save");
        await page.WaitUntilAsync("location.hash === '#/script/ticker' && document.getElementById('new-instance')", "the script is saved");
        var version = await page.EvaluateExpressionAsync<string>("document.getElementById('script-version').textContent");
        Assert.That(version, Does.Match("^[0-9a-f]{16}$"));

        // An instance, with settings from every group of the editor.
        await page.ClickAsync("#new-instance");
        await page.WaitUntilAsync("document.getElementById('instance-form')", "the instance editor shows");
        await page.TypeAsync("#instance-name", "live");
        await page.TypeAsync("#instance-arguments", "one 'two words'");
        await page.SetValueAsync("#instance-timeout", "600");
        await page.SetValueAsync("#instance-grace", "2");
        await page.SetValueAsync("#instance-limit-open_files", "256");
        await page.SelectAsync("#instance-overlap", "queue");
        await page.ClickAsync("#env-add");
        await page.SetValueAsync(".env-row:last-child .env-name", "GREETING");
        await page.SetValueAsync(".env-row:last-child .env-value", "hello");
        await page.ClickAsync("#instance-save");
        await page.WaitUntilAsync("location.hash === '#/instance/ticker/live' && document.getElementById('instance-name').readOnly", "the instance is saved");
        await page.SaveScreenshotAsync("instance-editor");

        await using (var client = await Daemon.ConnectAsync("unix"))
        {
            var stored = await client.CallAsync("script_instance_get", new { script_name = "ticker", instance_name = "live" });
            Assert.That((string)stored["arguments"]!, Is.EqualTo("one 'two words'"));
            Assert.That((int)stored["timeout_s"]!, Is.EqualTo(600));
            Assert.That((int)stored["stop_grace_s"]!, Is.EqualTo(2));
            Assert.That((int)stored["limits"]!["open_files"]!, Is.EqualTo(256));
            Assert.That((string)stored["overlap"]!, Is.EqualTo("queue"));
            Assert.That((string)stored["env"]!["GREETING"]!, Is.EqualTo("hello"));
        }

        // Start from the instance page: the page goes to the execution and follows its output as it arrives.
        await page.ClickEnabledAsync("[data-action=start]");
        await page.WaitUntilAsync("/^#\\/execution\\/\\d+$/.test(location.hash) && document.getElementById('follow-status')?.textContent === 'following'", "the execution view follows the run");
        await page.WaitUntilAsync("document.querySelectorAll('#output .stdout').length >= 3 && document.querySelectorAll('#output .stderr').length >= 3", "three lines of each stream arrive live");
        var seen = await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#output .line').length");
        await page.WaitUntilAsync($"document.querySelectorAll('#output .line').length > {seen + 2}", "more lines arrive without a reload");
        var colours = await page.EvaluateExpressionAsync<string[]>(
            "[...document.querySelectorAll('#output .stdout, #output .stderr')].slice(0, 2).map(e => getComputedStyle(e).color)");
        Assert.That(colours[0], Is.Not.EqualTo(colours[1]), "stdout and stderr are told apart by colour");
        await page.SaveScreenshotAsync("output-following");

        await page.ClickEnabledAsync("#execution-header [data-action=stop]");
        await page.WaitUntilAsync("document.getElementById('execution-state')?.textContent === 'killed'", "the run ends as killed after the stop");
        var exit = await page.EvaluateExpressionAsync<string>("document.getElementById('execution-exit').textContent");
        Assert.That(exit, Does.StartWith("SIGTERM"), "a killed run shows its signal's name");
        await page.WaitUntilAsync("document.getElementById('follow-status').textContent.startsWith('ended: killed')", "following ends with the run");

        // The daemon's error as worded: stopping what no longer runs.
        var id = long.Parse(page.Url[(page.Url.LastIndexOf('/') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        await page.EvaluateExpressionAsync("import('/app.js').then(m => m.act('script_stop', {script_name: 'ticker', instance_name: 'live'}))");
        await page.WaitUntilAsync("!document.getElementById('message').hidden && document.getElementById('message').className === 'error'", "the error shows");
        Assert.That(await page.EvaluateExpressionAsync<string>("document.getElementById('message-text').textContent"),
            Is.EqualTo("instance 'live' of script 'ticker' is not running (1003, not_running)"));

        // Rerun from the execution view starts a new run with the same arguments.
        await page.ClickEnabledAsync("#execution-header [data-action=rerun]");
        await page.WaitUntilAsync($"location.hash !== '#/execution/{id}' && document.getElementById('execution-state')?.textContent === 'running'", "the rerun runs");
        await page.ClickEnabledAsync("#execution-header [data-action=force]");
        await page.WaitUntilAsync("document.getElementById('execution-exit')?.textContent.startsWith('SIGKILL')", "a forced stop shows SIGKILL");
    }

    [Test]
    public async Task A_page_of_a_foreign_origin_cannot_open_the_daemons_WebSocket()
    {
        // A second origin on loopback (another port) serving a page that tries the daemon's /rpc.
        var port = DaemonUnderTest.FreePort();
        using var foreign = new HttpListener();
        foreign.Prefixes.Add($"http://127.0.0.1:{port}/");
        foreign.Start();
        var serving = Task.Run(async () =>
        {
            var context = await foreign.GetContextAsync();
            var html = Encoding.UTF8.GetBytes("<!doctype html><title>elsewhere</title><p>a foreign page</p>");
            context.Response.ContentType = "text/html";
            await context.Response.OutputStream.WriteAsync(html);
            context.Response.Close();
        });
        const string tryWebSocket = """
            url => new Promise(resolve => {
              const ws = new WebSocket(url);
              ws.onopen = () => { ws.close(); resolve('open'); };
              ws.onclose = (e) => resolve('closed ' + e.code);
            })
            """;
        var wsUrl = $"ws://127.0.0.1:{Daemon.Port}/rpc";

        var page = await Chromium.NewPageAsync();
        await page.GoToAsync($"http://127.0.0.1:{port}/");
        await serving;
        var fromForeign = await page.EvaluateFunctionAsync<string>(tryWebSocket, wsUrl);
        await page.GoToAsync(Origin + "/");
        var fromOwn = await page.EvaluateFunctionAsync<string>(tryWebSocket, wsUrl);

        Assert.That(fromForeign, Is.EqualTo("closed 1006"), "the upgrade was refused (403)");
        Assert.That(fromOwn, Is.EqualTo("open"), "the same call from the daemon's own page opens");
    }
}
