using ScriptExec.Core;

namespace ScriptExec.Store.Tests;

/// <summary>
/// Random filters and pages against the straightforward reading of seed 000 (filter, then select, then sort
/// descending), on a store seeded with varied executions.
/// </summary>
public sealed class ExecutionQueryModelTests : StoreFixture
{
    private static readonly string[] ScriptNames = ["alpha", "beta", "gamma"];
    private static readonly string[] InstanceNames = ["a", "b", "c", "d"];
    private static readonly int[] ExitCodes = [0, 1, 2, 127, -9, -15];
    private static readonly string[] Users = ["root", "alice", "bob"];

    [Test]
    public async Task Random_filters_and_pages_match_the_model([Values(1, 2, 3)] int seed)
    {
        var random = new Random(seed);
        var all = await SeedAsync(random, 400);

        for (var round = 0; round < 400; round++)
        {
            var filter = RandomFilter(random);
            var page = RandomPage(random, all);

            var expected = page.Select(all.Where(filter.Matches).OrderBy(e => e.Id), e => e.Id).Select(e => e.Id);
            var actual = Executions.Query(filter, page).Select(e => e.Id);

            Assert.That(actual, Is.EqualTo(expected), $"round {round}: {Describe(filter)} limit={page.Limit} ref={page.IdExclusive}");
        }
    }

    [Test]
    public void Many_instances_fall_back_to_a_residual_condition_with_the_same_result()
    {
        var selectors = Enumerable.Range(0, ExecutionQuery.MaxBranches + 5).Select(i => new InstanceSelector($"s{i}", ["x", "y"])).ToArray();

        var query = ExecutionQuery.Build(new ExecutionFilter { Instances = selectors }, new Pagination(-5));

        Assert.That(query.Sql, Does.Contain("json_each(@instances)").And.Not.Contain("UNION ALL"));
    }

    private async Task<List<Execution>> SeedAsync(Random random, int count)
    {
        foreach (var script in ScriptNames)
        {
            await Scripts.SetScriptAsync(new ScriptDefinition(script, "v1", "v1", null, 1), CancellationToken.None);
        }

        for (var i = 0; i < count; i++)
        {
            var trigger = random.Next(3) switch
            {
                0 => Trigger.Manual(Users[random.Next(Users.Length)]),
                1 => new Trigger(TriggerType.Xpath, "/net/eth0"),
                _ => new Trigger(TriggerType.Schedule, "* * * * *"),
            };
            var id = await StartAsync(
                ScriptNames[random.Next(ScriptNames.Length)], InstanceNames[random.Next(InstanceNames.Length)], "v1", trigger, 1000 + i);
            switch (random.Next(4))
            {
                case 0:
                    break;
                case 1:
                    await Executions.MarkTerminatingAsync(id, Trigger.Manual("alice"), CancellationToken.None);
                    break;
                default:
                    var code = ExitCodes[random.Next(ExitCodes.Length)];
                    await Executions.FinishAsync(
                        id, new ExecutionEnd(code < 0 ? ExecutionState.Killed : ExecutionState.Finished, code, 5, null, false, 2000), CancellationToken.None);
                    break;
            }
        }

        // A new version of one script makes its executions so far outdated.
        await Scripts.SetScriptAsync(new ScriptDefinition("gamma", "v2", "v2", null, 2), CancellationToken.None);
        for (var i = 0; i < 20; i++)
        {
            await StartAsync("gamma", InstanceNames[random.Next(InstanceNames.Length)], "v2", ts: 5000 + i);
        }

        return [.. Executions.Query(ExecutionFilter.All with { IncludeOutdated = true }, new Pagination(1000))
            .Concat(Executions.Query(ExecutionFilter.All with { IncludeOutdated = true }, new Pagination(-1000)))
            .DistinctBy(e => e.Id)];
    }

    private static ExecutionFilter RandomFilter(Random random)
    {
        T[]? Some<T>(T[] values, int chance) =>
            random.Next(chance) != 0 ? null : [.. values.Where(_ => random.Next(2) == 0)];

        IReadOnlyList<InstanceSelector>? instances = null;
        if (random.Next(2) == 0)
        {
            instances = [.. Enumerable.Range(0, random.Next(1, 4)).Select(_ => new InstanceSelector(
                ScriptNames[random.Next(ScriptNames.Length)],
                random.Next(3) == 0 ? null : Some(InstanceNames, 1)))];
        }

        return new ExecutionFilter
        {
            Instances = instances,
            ExitCodes = random.Next(4) == 0 ? [.. Some(ExitCodes, 1)!.Append(ExitCodes[random.Next(ExitCodes.Length)])] : null,
            States = Some([.. ExecutionStates.All], 3),
            IncludeOutdated = random.Next(2) == 0,
            StartAfter = random.Next(5) == 0 ? 1000 + random.Next(400) : null,
            StartBefore = random.Next(5) == 0 ? 1000 + random.Next(450) : null,
            TriggerTypes = Some([TriggerType.Manual, TriggerType.Xpath, TriggerType.Schedule], 5),
            Usernames = Some(Users, 6),
        };
    }

    private static Pagination RandomPage(Random random, List<Execution> all)
    {
        var limit = random.Next(1, 60) * (random.Next(2) == 0 ? 1 : -1);
        if (random.Next(20) == 0)
        {
            limit = random.Next(2) == 0 ? Pagination.MaxLimit : -Pagination.MaxLimit;
        }

        long? reference = random.Next(3) == 0 ? null : random.Next(0, all.Count + 30);
        return new Pagination(limit, reference);
    }

    private static string Describe(ExecutionFilter f) =>
        $"instances=[{string.Join(";", f.Instances?.Select(i => $"{i.ScriptName}:{(i.InstanceNames is null ? "*" : string.Join(",", i.InstanceNames))}") ?? [])}] " +
        $"codes=[{string.Join(",", f.ExitCodes ?? [])}] states=[{string.Join(",", f.States ?? [])}] outdated={f.IncludeOutdated} " +
        $"after={f.StartAfter} before={f.StartBefore} triggers=[{string.Join(",", f.TriggerTypes ?? [])}] users=[{string.Join(",", f.Usernames ?? [])}]";
}
