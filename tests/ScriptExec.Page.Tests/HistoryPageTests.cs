namespace ScriptExec.Page.Tests;

/// <summary>The history view: every filter of script_execution_get, keyset paging both ways, and a layout with no hidden column.</summary>
[TestFixture]
public sealed class HistoryPageTests : PageSession
{
    /// <summary>
    /// Every header cell and every cell of the first row must lie inside the viewport and its scroll frame, wide enough
    /// to read, and be what is on top at its centre (not under another pane). Returns one line per problem.
    /// </summary>
    private const string HiddenColumnsCheck = """
        () => {
          const problems = [];
          const vw = document.documentElement.clientWidth, vh = window.innerHeight;
          const frame = document.querySelector('.table-frame').getBoundingClientRect();
          const cells = [...document.querySelectorAll('#history thead th'), ...document.querySelectorAll('#history tbody tr:first-child td')];
          for (const cell of cells) {
            const r = cell.getBoundingClientRect();
            const name = cell.tagName + ' ' + (cell.textContent.trim() || '(empty)').slice(0, 20);
            if (r.width < 12) { problems.push(name + ': ' + r.width + ' px wide'); continue; }
            if (r.left < 0 || r.right > vw + 0.5 || r.right > frame.right + 0.5) { problems.push(name + ': ' + r.left + '..' + r.right + ' outside 0..' + Math.min(vw, frame.right)); continue; }
            if (r.top < 0 || r.top > vh) { problems.push(name + ': below the fold at ' + r.top); continue; }
            const hit = document.elementFromPoint(r.left + r.width / 2, r.top + Math.min(r.height, 20) / 2);
            if (!cell.contains(hit)) problems.push(name + ': covered by ' + (hit ? hit.tagName + '#' + hit.id : 'nothing'));
          }
          if (document.documentElement.scrollWidth > vw) problems.push('the page scrolls sideways: ' + document.documentElement.scrollWidth + ' > ' + vw);
          return problems;
        }
        """;

    private List<long> _failing = null!;

    [OneTimeSetUp]
    public async Task SeedAsync()
    {
        await using var client = await Daemon.ConnectAsync("unix");
        await client.CallAsync("script_set", new { name = "hist", source = "#!/bin/sh\necho \"run with $1\"\n[ \"$1\" = fail ] && { echo 'failing on purpose' >&2; exit 3; }\nexit 0\n" });
        await client.CallAsync("script_instance_set", new { script_name = "hist", instance_name = "ok", arguments = "fine", start_trigger = new { type = "manual" } });
        await client.CallAsync("script_instance_set", new
        {
            script_name = "hist",
            instance_name = "failing",
            arguments = "fail",
            start_trigger = new { type = "xpath", setting = "/devices/modem/link = 'up'" },
        });
        await RunAsync(client, "hist", "ok", 26);
        _failing = await RunAsync(client, "hist", "failing", 9);
    }

    /// <summary>Every id in the history now, newest first (the screenshot test adds a run, and fixtures run in any order).</summary>
    private async Task<long[]> AllIdsAsync()
    {
        await using var client = await Daemon.ConnectAsync("unix");
        var result = await client.CallAsync("script_execution_get", new { pagination = new { limit = -1000 } });
        return [.. result["executions"]!.AsArray().Select(e => (long)e!["id"]!)];
    }

    private static Task<long[]> ShownIdsAsync(PuppeteerSharp.IPage page) =>
        page.EvaluateExpressionAsync<long[]>("[...document.querySelectorAll('#history tbody tr')].map(r => Number(r.dataset.id))");

    [Test]
    public async Task Pages_older_and_newer_by_keyset_and_shows_the_newest_first()
    {
        var all = await AllIdsAsync();
        Assert.That(all, Has.Length.InRange(35, 39), "the seeded runs");
        var page = await LoginAsync("#/history?size=10");
        await page.WaitUntilAsync("document.querySelectorAll('#history tbody tr').length === 10", "the first page shows 10 runs");

        var first = await ShownIdsAsync(page);
        await page.ClickAsync("#page-older");
        await page.WaitUntilAsync($"document.querySelector('#history tbody tr')?.dataset.id === '{all[10]}'", "the older page shows");
        var second = await ShownIdsAsync(page);
        await page.ClickAsync("#page-older");
        await page.WaitUntilAsync($"document.querySelector('#history tbody tr')?.dataset.id === '{all[20]}'", "the third page shows");
        await page.ClickAsync("#page-older");
        await page.WaitUntilAsync($"document.querySelector('#history tbody tr')?.dataset.id === '{all[30]}'", "the last page shows");
        var last = await ShownIdsAsync(page);
        var olderAtEnd = await page.EvaluateExpressionAsync<bool>("document.getElementById('page-older').disabled");
        await page.ClickAsync("#page-newer");
        await page.WaitUntilAsync($"document.querySelector('#history tbody tr')?.dataset.id === '{all[20]}'", "newer goes back one page");
        var back = await ShownIdsAsync(page);

        Assert.That(first, Is.EqualTo(all[..10]));
        Assert.That(second, Is.EqualTo(all[10..20]));
        Assert.That(last, Is.EqualTo(all[30..]), "the last page holds the oldest");
        Assert.That(olderAtEnd, Is.True, "nothing older than the oldest");
        Assert.That(back, Is.EqualTo(all[20..30]));
    }

    [Test]
    public async Task Filters_by_instance_state_exit_code_and_trigger_through_the_form()
    {
        var all = await AllIdsAsync();
        var page = await LoginAsync("#/history?size=50");
        await page.WaitUntilAsync($"document.querySelectorAll('#history tbody tr').length === {all.Length}", "every run shows");

        await page.SelectAsync("#filter-instances", "hist/failing");
        await page.ClickAsync("#filter-states input[value=finished]");
        await page.SetValueAsync("#filter-exit-codes", "3");
        await page.ClickAsync("#filter-trigger-types input[value=manual]");
        await page.ClickAsync("#filter-apply");
        await page.WaitUntilAsync($"document.querySelectorAll('#history tbody tr').length === {_failing.Count}", "only the failing runs show");

        var rows = await page.EvaluateExpressionAsync<string[][]>(
            "[...document.querySelectorAll('#history tbody tr')].map(r => [...r.children].slice(0, 8).map(c => c.textContent))");
        Assert.That(page.Url, Does.Contain("instance=hist%2Ffailing").And.Contain("state=finished").And.Contain("exit=3").And.Contain("trigger=manual"));
        Assert.That(rows.Select(r => long.Parse(r[0], System.Globalization.CultureInfo.InvariantCulture)), Is.EqualTo(_failing.OrderDescending()));
        Assert.That(rows.Select(r => (r[2], r[3], r[4])), Is.All.EqualTo(("failing", "finished", "3")));
        Assert.That(rows.Select(r => r[7]), Is.All.EqualTo("manual by root"));

        // A filter that matches nothing says so.
        await page.GoToAsync(Origin + "/#/history?state=killed&size=10");
        await page.WaitUntilAsync("document.getElementById('page-info')?.textContent === 'no executions match'", "an empty result says so");
    }

    [Test]
    public async Task At_1280x900_no_column_of_the_history_is_hidden_or_clipped()
    {
        await using (var client = await Daemon.ConnectAsync("unix"))
        {
            // A long trigger setting and a stop trigger: the widest row the history shows.
            await client.CallAsync("state_set", new { xpath = "/devices/modem", value = new { link = "up" } });
            await Eventually.ThatAsync(
                async () => ((await client.CallAsync("script_execution_get", new { filter = new { trigger_types = new[] { "xpath" } }, pagination = new { limit = -1 } }))["executions"]!.AsArray().Count) == 1,
                "the xpath trigger starts hist/failing");
        }

        var page = await LoginAsync("#/history?size=20");
        await page.WaitUntilAsync("document.querySelectorAll('#history tbody tr').length === 20", "a page of 20 runs shows");
        await page.WaitUntilAsync("document.querySelector('#history tbody tr').textContent.includes('xpath')", "the xpath-started run is on top");

        var problems = await page.EvaluateFunctionAsync<string[]>(HiddenColumnsCheck);
        var columns = await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#history thead th').length");
        var path = await page.SaveScreenshotAsync("history");

        Assert.That(columns, Is.EqualTo(11));
        Assert.That(problems, Is.Empty, $"hidden or clipped at 1280x900 (screenshot {path})");

        // The check fails when a column is pushed out of view: widen the table past the viewport.
        await page.EvaluateExpressionAsync("document.getElementById('history').style.minWidth = '1900px'");
        var widened = await page.EvaluateFunctionAsync<string[]>(HiddenColumnsCheck);
        Assert.That(widened, Is.Not.Empty, "the check sees a clipped column");
    }
}
