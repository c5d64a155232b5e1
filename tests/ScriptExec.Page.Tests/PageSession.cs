using PuppeteerSharp;

namespace ScriptExec.Page.Tests;

/// <summary>One daemon and one headless chromium for a fixture, and a logged-in page at 1280x900 per test.</summary>
public abstract class PageSession
{
    protected DaemonUnderTest Daemon { get; private set; } = null!;

    protected IBrowser Chromium { get; private set; } = null!;

    protected string Origin => $"http://127.0.0.1:{Daemon.Port}";

    /// <summary>Console messages and page errors of the current test's page, printed when it ends.</summary>
    protected List<string> Console { get; } = [];

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        Chromium = await Browser.LaunchAsync();
        Daemon = await DaemonUnderTest.StartAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (Chromium is not null)
        {
            await Chromium.CloseAsync();
            Chromium.Dispose();
        }

        if (Daemon is not null)
        {
            await Daemon.DisposeAsync();
        }
    }

    [TearDown]
    public void PrintConsole()
    {
        foreach (var line in Console)
        {
            TestContext.Out.WriteLine(line);
        }

        Console.Clear();
    }

    /// <summary>A fresh page (its own sessionStorage) on the daemon's address, not logged in.</summary>
    protected async Task<IPage> OpenAsync(string hash = "")
    {
        var page = await Chromium.NewPageAsync();
        await page.SetViewportAsync(new ViewPortOptions { Width = 1280, Height = 900 });
        page.Console += (_, e) => Console.Add($"console {e.Message.Type}: {e.Message.Text}");
        page.PageError += (_, e) => Console.Add($"page error: {e.Message}");
        page.DefaultTimeout = (int)Browser.Bound.TotalMilliseconds;
        await page.GoToAsync(Origin + "/" + hash);
        return page;
    }

    protected async Task<IPage> LoginAsync(string hash = "")
    {
        var page = await OpenAsync(hash);
        await page.WaitUntilAsync("!document.getElementById('login').hidden", "the login form shows");
        await page.TypeAsync("#login-token", Daemon.Token);
        await page.ClickAsync("#login-submit");
        await page.WaitUntilAsync("!document.getElementById('app').hidden && document.getElementById('identity').textContent.includes('admin')", "logged in");
        return page;
    }

    /// <summary>Runs the instance <paramref name="count"/> times, one after another, over the Unix socket; returns the ids.</summary>
    protected static async Task<List<long>> RunAsync(RpcClient client, string script, string instance, int count)
    {
        var ids = new List<long>();
        for (var i = 0; i < count; i++)
        {
            var started = await client.CallAsync("script_start", new { script_name = script, instance_name = instance });
            var id = (long)started["execution"]!["id"]!;
            ids.Add(id);
            await Eventually.ThatAsync(
                async () => (string?)(await client.CallAsync("script_execution_output_get", new { filter = new { execution_id = id }, pagination = new { limit = 1 } }))["execution"]!["state"] is "finished" or "killed",
                $"execution {id} of {script}/{instance} ends");
        }

        return ids;
    }
}
