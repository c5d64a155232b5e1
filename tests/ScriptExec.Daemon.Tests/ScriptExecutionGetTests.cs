using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using ScriptExec.Core;
using ScriptExec.Daemon.Tests.Support;
using ScriptExec.Store;

namespace ScriptExec.Daemon.Tests;

/// <summary>
/// script_execution_get against seed 000: a model-based test of many random filter/pagination combinations over
/// the wire, plus the presence rules and the seed's own example. The store is seeded through the daemon's own
/// ExecutionStore (the same schema and writes the supervisor uses), so thousands of records need no processes.
/// </summary>
public sealed class ScriptExecutionGetTests : TransportFixture
{
    private static readonly string[] Scripts = ["hello_world", "monitor", "backup"];
    private static readonly string[] Instances = ["manual", "verbose", "nightly"];
    private static readonly int[] Codes = [0, 1, 3, 127, -9, -15];
    private static readonly string[] Users = ["root", "alice", "admin"];

    private readonly List<Execution> _model = [];

    public ScriptExecutionGetTests(string transport)
        : base(transport)
    {
    }

    [OneTimeSetUp]
    public async Task Seed()
    {
        var store = Daemon.Services.GetRequiredService<ExecutionStore>();
        var scripts = Daemon.Services.GetRequiredService<ScriptStore>();
        foreach (var s in Scripts)
        {
            await scripts.SetScriptAsync(new ScriptDefinition(s, "v1", "v1", null, 1), CancellationToken.None);
        }

        var random = new Random(20261123);
        for (var i = 0; i < 600; i++)
        {
            var script = Scripts[random.Next(Scripts.Length)];
            var instance = Instances[random.Next(Instances.Length)];
            var trigger = random.Next(3) switch
            {
                0 => Trigger.Manual(Users[random.Next(Users.Length)]),
                1 => new Trigger(TriggerType.Xpath, "/networking/eth0"),
                _ => new Trigger(TriggerType.Schedule, "*/5 * * * *"),
            };
            var ts = 1_700_000_000L + i * 60;
            var id = await store.InsertStartedAsync(new NewExecution(script, instance, "v1", ts, trigger, i % 7 == 0 ? null : $"-v --n {i}"), CancellationToken.None);
            var e = new Execution
            {
                Id = id, ScriptName = script, InstanceName = instance, ScriptVersion = "v1", StartTimestamp = ts,
                StartTrigger = trigger, State = ExecutionState.Running, Arguments = i % 7 == 0 ? null : $"-v --n {i}",
            };
            switch (random.Next(5))
            {
                case 0:
                    break;
                case 1:
                    await store.MarkTerminatingAsync(id, Trigger.Manual("alice"), CancellationToken.None);
                    e = e with { State = ExecutionState.Terminating, StopTrigger = Trigger.Manual("alice") };
                    break;
                default:
                    var code = Codes[random.Next(Codes.Length)];
                    var state = code < 0 ? ExecutionState.Killed : ExecutionState.Finished;
                    var stop = random.Next(3) == 0 ? Trigger.System(Trigger.TimeoutCause) : null;
                    await store.FinishAsync(id, new ExecutionEnd(state, code, 60, stop, false, ts + 1), CancellationToken.None);
                    e = e with { State = state, ExitCode = code, DurationMs = 60, StopTrigger = stop };
                    break;
            }

            _model.Add(e);
        }

        // A new source makes every earlier execution of that script outdated.
        await scripts.SetScriptAsync(new ScriptDefinition("backup", "v2", "v2", null, 2), CancellationToken.None);
        for (var i = 0; i < _model.Count; i++)
        {
            if (_model[i].ScriptName == "backup")
            {
                _model[i] = _model[i] with { IsOutdated = true };
            }
        }
    }

    [Test]
    public async Task Random_filters_and_pages_match_the_model_of_seed_000()
    {
        var random = new Random(Transport.Length);
        for (var round = 0; round < 250; round++)
        {
            var (filter, json) = RandomFilter(random);
            var page = new Pagination(
                random.Next(1, 40) * (random.Next(2) == 0 ? 1 : -1),
                random.Next(3) == 0 ? null : random.Next(0, _model.Count + 20));
            var pagination = page.IdExclusive is { } reference
                ? new JsonObject { ["limit"] = page.Limit, ["id_exclusive"] = reference }
                : new JsonObject { ["limit"] = page.Limit };
            var parameters = new JsonObject { ["pagination"] = pagination };
            if (json is not null)
            {
                parameters["filter"] = json;
            }

            var result = await Client.CallAsync("script_execution_get", parameters);

            var expected = page.Select(_model.Where(filter.Matches).OrderBy(e => e.Id), e => e.Id).Select(e => e.Id);
            var actual = result["executions"]!.AsArray().Select(e => e!["id"]!.GetValue<long>());
            Assert.That(actual, Is.EqualTo(expected), $"round {round}: {parameters.ToJsonString()}");
        }
    }

    [Test]
    public async Task Positive_limit_without_reference_returns_the_oldest_sorted_descending()
    {
        var result = await Page(new { limit = 3 });

        var oldest = _model.Where(e => !e.IsOutdated).OrderBy(e => e.Id).Take(3).Select(e => e.Id).Reverse();
        Assert.That(Ids(result), Is.EqualTo(oldest));
    }

    [Test]
    public async Task Negative_limit_without_reference_returns_the_newest_descending()
    {
        var result = await Page(new { limit = -3 });

        var newest = _model.Where(e => !e.IsOutdated).OrderByDescending(e => e.Id).Take(3).Select(e => e.Id);
        Assert.That(Ids(result), Is.EqualTo(newest));
    }

    [Test]
    public async Task Reference_point_is_exclusive_in_both_directions()
    {
        var current = _model.Where(e => !e.IsOutdated).Select(e => e.Id).Order().ToList();
        var middle = current[current.Count / 2];

        var after = Ids(await Page(new { limit = 2, id_exclusive = middle }));
        var before = Ids(await Page(new { limit = -2, id_exclusive = middle }));

        Assert.Multiple(() =>
        {
            Assert.That(after, Is.EqualTo(new[] { current[(current.Count / 2) + 2], current[(current.Count / 2) + 1] }));
            Assert.That(before, Is.EqualTo(new[] { current[(current.Count / 2) - 1], current[(current.Count / 2) - 2] }));
        });
    }

    [Test]
    public async Task Presence_rules_follow_the_seed()
    {
        var all = (await Client.CallAsync("script_execution_get", new { filter = new { include_outdated = true }, pagination = new { limit = 1000 } }))["executions"]!.AsArray();

        Assert.That(all, Has.Count.EqualTo(_model.Count));
        foreach (var e in all)
        {
            var state = e!["state"]!.GetValue<string>();
            var ended = state is "finished" or "killed";
            var start = e["start_trigger"]!;
            var message = e.ToJsonString();
            Assert.Multiple(() =>
            {
                Assert.That(e["duration"] is not null, Is.EqualTo(ended), message);
                Assert.That(e["exit_code"] is not null, Is.EqualTo(ended), message);
                Assert.That(e["stop_trigger"] is null || state != "running", Is.True, message);
                Assert.That(start["username"] is not null, Is.EqualTo(start["type"]!.GetValue<string>() == "manual"), message);
                Assert.That(start["setting"] is not null, Is.EqualTo(start["type"]!.GetValue<string>() != "manual"), message);
                Assert.That(e["is_outdated"]!.GetValue<bool>(), Is.EqualTo(e["script_name"]!.GetValue<string>() == "backup"), message);
                if (e["stop_trigger"] is { } stop)
                {
                    Assert.That(stop["setting"] is not null, Is.EqualTo(stop["type"]!.GetValue<string>() == "xpath"), message);
                    Assert.That(stop["reason"] is not null, Is.EqualTo(stop["type"]!.GetValue<string>() == "system"), message);
                    Assert.That(stop["username"] is not null, Is.EqualTo(stop["type"]!.GetValue<string>() == "manual"), message);
                }
            });
        }
    }

    [Test]
    public async Task The_seed_example_request_is_accepted()
    {
        var result = await Client.CallAsync("script_execution_get", JsonNode.Parse("""
            {
              "filter": {
                "instances": [
                  { "script_name": "hello_world", "instance_names": ["manual", "verbose"] },
                  { "script_name": "monitor", "instance_names": ["verbose"] }
                ],
                "states": ["running"]
              },
              "pagination": { "limit": -10 }
            }
            """));

        var expected = _model
            .Where(e => e.State == ExecutionState.Running
                && ((e.ScriptName == "hello_world" && e.InstanceName is "manual" or "verbose") || (e.ScriptName == "monitor" && e.InstanceName == "verbose")))
            .OrderByDescending(e => e.Id).Take(10).Select(e => e.Id);
        Assert.That(Ids(result), Is.EqualTo(expected));
    }

    [TestCase("""{"pagination": {"limit": 0}}""", "pagination.limit")]
    [TestCase("""{"pagination": {"limit": 1001}}""", "pagination.limit")]
    [TestCase("""{"pagination": {"limit": -1001}}""", "pagination.limit")]
    [TestCase("""{"pagination": {"limit": 1.5}}""", "pagination.limit")]
    [TestCase("""{"pagination": {"limit": 5, "id_exclusive": -1}}""", "pagination.id_exclusive")]
    [TestCase("""{}""", "pagination")]
    [TestCase("""{"pagination": {}}""", "pagination.limit")]
    [TestCase("""{"pagination": {"limit": 5}, "filter": {"states": ["done"]}}""", "filter.states[0]")]
    [TestCase("""{"pagination": {"limit": 5}, "filter": {"instances": [{"instance_names": ["a"]}]}}""", "filter.instances[0].script_name")]
    [TestCase("""{"pagination": {"limit": 5}, "filter": {"exit_codes": "0"}}""", "filter.exit_codes")]
    [TestCase("""{"pagination": {"limit": 5}, "filter": {"include_outdated": "yes"}}""", "filter.include_outdated")]
    [TestCase("""{"pagination": {"limit": 5}, "filter": {"color": "red"}}""", "filter.color")]
    [TestCase("""{"pagination": {"limit": 5}, "sort": "asc"}""", "sort")]
    public async Task Invalid_params_name_the_field(string parameters, string field)
    {
        var error = await Client.CallErrorAsync("script_execution_get", JsonNode.Parse(parameters));

        Assert.Multiple(() =>
        {
            Assert.That(error["code"]!.GetValue<int>(), Is.EqualTo(-32602));
            Assert.That(error["data"]!["field"]!.GetValue<string>(), Is.EqualTo(field));
            Assert.That(error["data"]!["reason"]!.GetValue<string>(), Is.Not.Empty);
            Assert.That(error["message"]!.GetValue<string>(), Does.Contain(field));
        });
    }

    private Task<JsonNode> Page(object pagination) =>
        Client.CallAsync("script_execution_get", new { pagination });

    private static IEnumerable<long> Ids(JsonNode result) =>
        result["executions"]!.AsArray().Select(e => e!["id"]!.GetValue<long>());

    private static (ExecutionFilter Filter, JsonObject? Json) RandomFilter(Random random)
    {
        if (random.Next(6) == 0)
        {
            return (ExecutionFilter.All, null);
        }

        var json = new JsonObject();
        var filter = new ExecutionFilter();
        T[] Subset<T>(T[] values) => [.. values.Where(_ => random.Next(2) == 0)];

        if (random.Next(2) == 0)
        {
            var selectors = new List<InstanceSelector>();
            var array = new JsonArray();
            for (var i = random.Next(1, 3); i > 0; i--)
            {
                var script = Scripts[random.Next(Scripts.Length)];
                var names = random.Next(3) == 0 ? null : Subset(Instances);
                selectors.Add(new InstanceSelector(script, names));
                var entry = new JsonObject { ["script_name"] = script };
                if (names is not null)
                {
                    entry["instance_names"] = new JsonArray([.. names.Select(n => (JsonNode)n)]);
                }

                array.Add(entry);
            }

            filter = filter with { Instances = selectors };
            json["instances"] = array;
        }

        if (random.Next(3) == 0)
        {
            var codes = Subset(Codes);
            filter = filter with { ExitCodes = codes };
            json["exit_codes"] = new JsonArray([.. codes.Select(c => (JsonNode)c)]);
        }

        if (random.Next(3) == 0)
        {
            var states = Subset([.. ExecutionStates.All]);
            filter = filter with { States = states };
            json["states"] = new JsonArray([.. states.Select(s => (JsonNode)s.ToWire())]);
        }

        if (random.Next(2) == 0)
        {
            var include = random.Next(2) == 0;
            filter = filter with { IncludeOutdated = include };
            json["include_outdated"] = include;
        }

        if (random.Next(5) == 0)
        {
            var after = 1_700_000_000L + (random.Next(600) * 60);
            filter = filter with { StartAfter = after };
            json["start_after"] = after;
        }

        if (random.Next(5) == 0)
        {
            var before = 1_700_000_000L + (random.Next(600) * 60);
            filter = filter with { StartBefore = before };
            json["start_before"] = before;
        }

        if (random.Next(5) == 0)
        {
            var types = Subset([TriggerType.Manual, TriggerType.Xpath, TriggerType.Schedule]);
            filter = filter with { TriggerTypes = types };
            json["trigger_types"] = new JsonArray([.. types.Select(t => (JsonNode)t.ToWire())]);
        }

        if (random.Next(6) == 0)
        {
            var users = Subset(Users);
            filter = filter with { Usernames = users };
            json["usernames"] = new JsonArray([.. users.Select(u => (JsonNode)u)]);
        }

        return (filter, json);
    }
}
