using System.Globalization;
using System.Text;
using ScriptExec.Daemon.Tests.Support;

namespace ScriptExec.Daemon.Tests;

/// <summary>script_execution_output_get and the capture rules behind it: lines, streams, long lines, encoding, caps.</summary>
public sealed class OutputCaptureTests : TransportFixture
{
    private const int LineCapBytes = 16 * 1024;
    private const int MaxStoredBytes = 1024 * 1024;

    public OutputCaptureTests(string transport)
        : base(transport)
    {
    }

    [Test]
    public async Task Three_thousand_lines_page_through_in_order_with_id_exclusive_and_limit_1000()
    {
        var id = await RunToEndAsync("seq -f 'line %g' 1 3000");

        var pages = new List<List<(long Id, string Content, string Stream)>>();
        long? after = null;
        while (pages.Count < 10)
        {
            var page = await OutputPageAsync(id, 1000, after);
            pages.Add(page);
            if (page.Count == 0)
            {
                break;
            }

            after = page[^1].Id;
        }

        var lines = pages.SelectMany(p => p).ToList();
        var ids = lines.Select(l => l.Id).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(pages.Select(p => p.Count), Is.EqualTo(new[] { 1000, 1000, 1000, 0 }));
            Assert.That(lines.Select(l => l.Content), Is.EqualTo(Enumerable.Range(1, 3000).Select(i => $"line {i}")));
            Assert.That(ids.Zip(ids.Skip(1)).All(pair => pair.First < pair.Second), Is.True, "line ids strictly increase");
            Assert.That(lines.Select(l => l.Stream).Distinct(), Is.EqualTo(new[] { "stdout" }));
        });
    }

    [Test]
    public async Task Stderr_lines_are_tagged_and_the_streams_filter_returns_only_them()
    {
        var id = await RunToEndAsync("echo out1\necho err1 >&2\necho out2\necho err2 >&2\n");

        var all = await Client.ReadAllLinesAsync(id);
        var stderr = await Client.ReadAllLinesAsync(id, ["stderr"]);
        var stdout = await Client.ReadAllLinesAsync(id, ["stdout"]);

        // The streams are read apart, so only the order within each stream is defined.
        var streamOf = all.ToDictionary(l => l["content"]!.GetValue<string>(), l => l["stream"]!.GetValue<string>());
        Assert.Multiple(() =>
        {
            Assert.That(streamOf, Is.EquivalentTo(new Dictionary<string, string>
            {
                ["out1"] = "stdout",
                ["out2"] = "stdout",
                ["err1"] = "stderr",
                ["err2"] = "stderr",
            }));
            Assert.That(stderr.Select(l => l["content"]!.GetValue<string>()), Is.EqualTo(new[] { "err1", "err2" }));
            Assert.That(stderr.Select(l => l["stream"]!.GetValue<string>()), Is.All.EqualTo("stderr"));
            Assert.That(stdout.Select(l => l["content"]!.GetValue<string>()), Is.EqualTo(new[] { "out1", "out2" }));
        });
    }

    [Test]
    public async Task Line_longer_than_the_line_cap_is_kept_in_pieces_of_at_most_the_cap()
    {
        // About 77 KB of distinct digits on one line, so a lost, doubled or reordered piece shows.
        var expected = string.Concat(Enumerable.Range(1, 15000).Select(i => i.ToString(CultureInfo.InvariantCulture) + ","));
        var id = await RunToEndAsync("seq 1 15000 | tr '\\n' ','\necho\n");

        var pieces = await Client.ReadAllContentAsync(id);

        Assert.Multiple(() =>
        {
            Assert.That(expected, Has.Length.GreaterThan(70 * 1024));
            Assert.That(string.Concat(pieces), Is.EqualTo(expected));
            Assert.That(pieces.Select(Encoding.UTF8.GetByteCount), Is.All.LessThanOrEqualTo(LineCapBytes));
            Assert.That(pieces, Has.Count.GreaterThanOrEqualTo(expected.Length / LineCapBytes));
        });
    }

    [Test]
    public async Task Long_line_of_multibyte_characters_is_cut_between_characters()
    {
        var id = await RunToEndAsync("head -c 40000 /dev/zero | tr '\\0' 'x' | sed 's/x/\\xc3\\xa9/g'\n");

        var pieces = await Client.ReadAllContentAsync(id);

        Assert.Multiple(() =>
        {
            Assert.That(string.Concat(pieces), Is.EqualTo(new string('é', 40000)));
            Assert.That(pieces, Has.Count.GreaterThan(1));
            Assert.That(pieces.Select(Encoding.UTF8.GetByteCount), Is.All.LessThanOrEqualTo(LineCapBytes));
        });
    }

    [Test]
    public async Task Last_line_without_a_trailing_newline_is_kept()
    {
        var id = await RunToEndAsync("printf 'first\\nlast'");

        Assert.That(await Client.ReadAllContentAsync(id), Is.EqualTo(new[] { "first", "last" }));
    }

    [Test]
    public async Task Invalid_UTF8_is_replaced_with_U_FFFD_and_valid_characters_are_kept()
    {
        var id = await RunToEndAsync("printf 'caf\\303\\251 \\377\\376 end\\n'");

        var line = (await Client.ReadAllContentAsync(id)).Single();

        Assert.Multiple(() =>
        {
            Assert.That(line, Does.Contain('\uFFFD'));
            Assert.That(line.Replace("\uFFFD", string.Empty, StringComparison.Ordinal), Is.EqualTo("café  end"));
        });
    }

    [Test]
    public async Task Fifty_megabyte_flood_finishes_and_stores_at_most_the_cap_with_output_truncated()
    {
        var (script, instance) = await CreateAsync("head -c 52428800 /dev/zero | tr '\\0' 'x' | fold -w 100\n");
        var id = (await Client.CallAsync("script_start", new { script_name = script, instance_name = instance }))["execution"]!["id"]!.GetValue<long>();

        var ended = await WaitForExecutionAsync(id, e => e["state"]!.GetValue<string>() is "finished" or "killed", TimeSpan.FromMinutes(2));
        var stored = await Client.ReadAllContentAsync(id);
        var storedBytes = stored.Sum(l => (long)Encoding.UTF8.GetByteCount(l));

        Assert.Multiple(() =>
        {
            Assert.That(ended["state"]!.GetValue<string>(), Is.EqualTo("finished"));
            Assert.That(ended["exit_code"]!.GetValue<int>(), Is.EqualTo(0));
            Assert.That(ended["output_truncated"]?.GetValue<bool>(), Is.True);
            Assert.That(storedBytes, Is.LessThanOrEqualTo(MaxStoredBytes));
            Assert.That(storedBytes, Is.GreaterThan(MaxStoredBytes - LineCapBytes), "output is stored up to the cap");
            Assert.That(stored, Is.All.EqualTo(new string('x', 100)));
        });
    }

    [Test]
    public async Task Execution_within_the_cap_is_not_output_truncated()
    {
        var id = await RunToEndAsync("echo small");

        var execution = (await Client.CallAsync("script_execution_output_get", new
        {
            filter = new { execution_id = id },
            pagination = new { limit = 1 },
        }))["execution"]!;

        Assert.That(execution["output_truncated"]?.GetValue<bool>() ?? false, Is.False);
    }

    [Test]
    public async Task Lines_carry_their_arrival_time_in_milliseconds()
    {
        var id = await RunToEndAsync("echo hello");
        var execution = (await Client.CallAsync("script_execution_output_get", new
        {
            filter = new { execution_id = id },
            pagination = new { limit = 1 },
        }))!;

        var line = execution["lines"]!.AsArray().Single()!;
        var startMs = execution["execution"]!["start_timestamp"]!.GetValue<long>() * 1000;

        // Milliseconds, not seconds: after the (second-granular) start of the run, and not in the future.
        Assert.Multiple(() =>
        {
            Assert.That(line["content"]!.GetValue<string>(), Is.EqualTo("hello"));
            Assert.That(line["timestamp_ms"]!.GetValue<long>(), Is.GreaterThanOrEqualTo(startMs));
            Assert.That(line["timestamp_ms"]!.GetValue<long>(), Is.LessThanOrEqualTo(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        });
    }

    [TestCase(0)]
    [TestCase(1001)]
    [TestCase(-1)]
    public async Task Limit_outside_1_to_1000_is_invalid_params_naming_pagination_limit(int limit)
    {
        var id = await RunToEndAsync("echo x");

        var error = await Client.CallErrorAsync("script_execution_output_get", new
        {
            filter = new { execution_id = id },
            pagination = new { limit },
        });

        Assert.Multiple(() =>
        {
            Assert.That(error["code"]!.GetValue<int>(), Is.EqualTo(-32602));
            Assert.That(error["data"]?["field"]?.GetValue<string>(), Is.EqualTo("pagination.limit"), () => error.ToJsonString());
        });
    }

    [Test]
    public async Task Unknown_execution_is_not_found()
    {
        var error = await Client.CallErrorAsync("script_execution_output_get", new
        {
            filter = new { execution_id = long.MaxValue / 2 },
            pagination = new { limit = 10 },
        });

        Assert.Multiple(() =>
        {
            Assert.That(error["code"]!.GetValue<int>(), Is.EqualTo(1001));
            Assert.That(error["data"]?["reason"]?.GetValue<string>(), Is.EqualTo("not_found"));
        });
    }

    private async Task<long> RunToEndAsync(string source)
    {
        var (script, instance) = await CreateAsync(source);
        var id = (await Client.CallAsync("script_start", new { script_name = script, instance_name = instance }))["execution"]!["id"]!.GetValue<long>();
        await WaitForEndAsync(id);
        return id;
    }

    private async Task<List<(long Id, string Content, string Stream)>> OutputPageAsync(long id, int limit, long? after)
    {
        var result = after is { } reference
            ? await Client.CallAsync("script_execution_output_get", new
            {
                filter = new { execution_id = id },
                pagination = new { limit, id_exclusive = reference },
            })
            : await Client.CallAsync("script_execution_output_get", new
            {
                filter = new { execution_id = id },
                pagination = new { limit },
            });
        return [.. result["lines"]!.AsArray().Select(l => (
            l!["id"]!.GetValue<long>(),
            l["content"]!.GetValue<string>(),
            l["stream"]!.GetValue<string>()))];
    }
}
