using System.Diagnostics;
using PuppeteerSharp;

namespace ScriptExec.Page.Tests;

/// <summary>
/// Debian's headless chromium, driven over the DevTools protocol (PuppeteerSharp pointed at it: no browser download).
/// Installed with apt-get when missing and possible; otherwise the test is ignored with the reason.
/// </summary>
internal static class Browser
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>Generous: a 2-core machine shared with parallel builds makes a page load take seconds.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <summary>Where the screenshots go: beside the test assembly, a path that stays put between runs.</summary>
    public static string ScreenshotDirectory { get; } = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;

    public static async Task<IBrowser> LaunchAsync()
    {
        EnsureChromium();
        return await Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // --no-sandbox: chromium's sandbox refuses to run as root (CI is root); the page under test is our own.
            Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run", "--hide-scrollbars"],
            DefaultViewport = new ViewPortOptions { Width = 1280, Height = 900 },
            Timeout = (int)Bound.TotalMilliseconds,
            ProtocolTimeout = (int)Bound.TotalMilliseconds,
        });
    }

    private static void EnsureChromium()
    {
        if (File.Exists(ChromiumPath))
        {
            return;
        }

        if (Environment.UserName != "root")
        {
            Assert.Ignore($"{ChromiumPath} is missing and this user cannot install it (apt-get install chromium as root)");
        }

        var log = Run("apt-get", "update -qq") + Run("apt-get", "install -y -qq --no-install-recommends chromium");
        if (!File.Exists(ChromiumPath))
        {
            Assert.Ignore($"{ChromiumPath} is missing and apt-get could not install it:\n{log}");
        }
    }

    private static string Run(string file, string arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(file, arguments)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                Environment = { ["DEBIAN_FRONTEND"] = "noninteractive" },
            })!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return output.Result + error;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"{file}: {e.Message}\n";
        }
    }

    /// <summary>Waits until <paramref name="condition"/> (a JS expression) is truthy in the page; fails naming <paramref name="what"/>.</summary>
    public static async Task WaitUntilAsync(this IPage page, string condition, string what)
    {
        try
        {
            await page.WaitForFunctionAsync($"() => {{ try {{ return !!({condition}); }} catch {{ return false; }} }}",
                new WaitForFunctionOptions { Timeout = (int)Bound.TotalMilliseconds, PollingInterval = 50 });
        }
        catch (WaitTaskTimeoutException)
        {
            var message = await page.EvaluateExpressionAsync<string>("document.getElementById('message')?.textContent || ''");
            var body = await page.EvaluateExpressionAsync<string>("document.body.innerText.slice(0, 1500)");
            Assert.Fail($"timed out waiting until {what} ({condition})\nmessage bar: {message}\npage text:\n{body}");
        }
    }

    /// <summary>Sets an input's value as a user would (input and change events), faster than typing long text.</summary>
    public static Task SetValueAsync(this IPage page, string selector, string value) =>
        page.EvaluateFunctionAsync(
            "(selector, value) => { const e = document.querySelector(selector); e.value = value; e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); }",
            selector,
            value);

    /// <summary>
    /// Clicks a button once it is there and enabled, in the page itself: views re-render on live changes, so a handle
    /// taken a moment before may be detached by the time a DevTools click would land.
    /// </summary>
    public static async Task ClickEnabledAsync(this IPage page, string selector)
    {
        var quoted = System.Text.Json.JsonSerializer.Serialize(selector);
        await page.WaitUntilAsync($"document.querySelector({quoted}) && !document.querySelector({quoted}).disabled", $"{selector} is enabled");
        await page.EvaluateFunctionAsync("s => document.querySelector(s).click()", selector);
    }

    public static async Task<string> SaveScreenshotAsync(this IPage page, string name)
    {
        var path = Path.Combine(ScreenshotDirectory, name + ".png");
        await page.ScreenshotAsync(path, new ScreenshotOptions { FullPage = false });
        TestContext.AddTestAttachment(path, name);
        TestContext.Out.WriteLine($"screenshot: {path}");
        return path;
    }
}
