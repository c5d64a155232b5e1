using Dapper;
using ScriptExec.Core;

namespace ScriptExec.Store.Tests;

public sealed class ScriptStoreTests : StoreFixture
{
    private static ScriptDefinition Script(string name, string source = "echo hi", string? description = null, long updated = 1_700_000_000) =>
        new(name, source, ScriptDefinition.VersionOf(source), description, updated);

    private static InstanceDefinition Instance(string script, string name, IReadOnlyDictionary<string, string>? secrets = null) => new()
    {
        ScriptName = script,
        InstanceName = name,
        SecretEnvironment = secrets ?? new Dictionary<string, string>(),
    };

    private long Count(string sql)
    {
        using var connection = Db.OpenRead();
        return connection.ExecuteScalar<long>(sql);
    }

    [Test]
    public async Task Set_script_reads_back_and_a_second_set_replaces_it()
    {
        await Scripts.SetScriptAsync(Script("hello", "echo 1", "first"), CancellationToken.None);
        var replacement = Script("hello", "echo 2", null, updated: 1_700_000_100);

        await Scripts.SetScriptAsync(replacement, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(Scripts.GetScript("hello"), Is.EqualTo(replacement));
            Assert.That(Scripts.ListScripts(), Is.EqualTo(new[] { replacement }));
        });
    }

    [Test]
    public async Task List_scripts_is_ordered_by_name_and_get_of_an_unknown_one_is_null()
    {
        await Scripts.SetScriptAsync(Script("zeta"), CancellationToken.None);
        await Scripts.SetScriptAsync(Script("alpha"), CancellationToken.None);
        await Scripts.SetScriptAsync(Script("mid"), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(Scripts.ListScripts().Select(s => s.Name), Is.EqualTo(new[] { "alpha", "mid", "zeta" }));
            Assert.That(Scripts.GetScript("nope"), Is.Null);
        });
    }

    [Test]
    public async Task A_new_version_marks_executions_of_other_versions_outdated_and_changing_back_does_not_undo_it()
    {
        var v1 = Script("s", "echo 1");
        var v2 = Script("s", "echo 2");
        await Scripts.SetScriptAsync(v1, CancellationToken.None);
        var ranV1 = await StartAsync("s", "i", v1.Version);
        var otherScript = await StartAsync("t", "i", "elsewhere");

        await Scripts.SetScriptAsync(v2, CancellationToken.None);
        var ranV2 = await StartAsync("s", "i", v2.Version);
        var afterV2 = (V1: Executions.Get(ranV1)!.IsOutdated, V2: Executions.Get(ranV2)!.IsOutdated);

        await Scripts.SetScriptAsync(v1, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(afterV2, Is.EqualTo((true, false)));
            Assert.That(Executions.Get(ranV1)!.IsOutdated, Is.True, "back on v1, the v1 run stays outdated");
            Assert.That(Executions.Get(ranV2)!.IsOutdated, Is.True);
            Assert.That(Executions.Get(otherScript)!.IsOutdated, Is.False);
        });
    }

    [Test]
    public async Task Setting_the_same_version_again_leaves_its_executions_current()
    {
        var v1 = Script("s", "echo 1");
        await Scripts.SetScriptAsync(v1, CancellationToken.None);
        var ran = await StartAsync("s", "i", v1.Version);

        await Scripts.SetScriptAsync(v1 with { Description = "only the description changed" }, CancellationToken.None);

        Assert.That(Executions.Get(ran)!.IsOutdated, Is.False);
    }

    [Test]
    public async Task Delete_script_removes_it_with_its_instances_and_secrets_but_keeps_its_executions_outdated()
    {
        await Scripts.SetScriptAsync(Script("s"), CancellationToken.None);
        await Scripts.SetInstanceAsync(Instance("s", "i", new Dictionary<string, string> { ["TOKEN"] = "t" }), CancellationToken.None);
        var ran = await StartAsync("s", "i", Script("s").Version);

        var deleted = await Scripts.DeleteScriptAsync("s", CancellationToken.None);
        var again = await Scripts.DeleteScriptAsync("s", CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(deleted, Is.True);
            Assert.That(again, Is.False);
            Assert.That(Scripts.GetScript("s"), Is.Null);
            Assert.That(Scripts.InstanceExists("s", "i"), Is.False);
            Assert.That(Count("SELECT COUNT(*) FROM instance_secrets;"), Is.Zero);
            Assert.That(Executions.Get(ran)!.IsOutdated, Is.True);
        });
    }

    [Test]
    public async Task Instance_reads_back_every_field_it_was_set_with()
    {
        await Scripts.SetScriptAsync(Script("s"), CancellationToken.None);
        var instance = new InstanceDefinition
        {
            ScriptName = "s",
            InstanceName = "full",
            Arguments = "--flag 'two words'",
            Environment = new Dictionary<string, string> { ["A"] = "1", ["B"] = "x=y" },
            WorkingDirectory = "/var/lib/thing",
            User = "nobody",
            TimeoutSeconds = 30,
            StopGraceSeconds = 3,
            StartTrigger = new TriggerDefinition(TriggerType.Schedule, "*/5 * * * *"),
            StopTrigger = new TriggerDefinition(TriggerType.Xpath, "/device/stop"),
            UpdatedTimestamp = 1_700_000_123,
            Role = Role.Viewer,
            Limits = LimitOverrides.Of(new Dictionary<LimitKind, int?> { [LimitKind.CpuSeconds] = 5, [LimitKind.OpenFiles] = null }),
        };

        await Scripts.SetInstanceAsync(instance, CancellationToken.None);
        var read = Scripts.GetInstance("s", "full")!;

        Assert.Multiple(() =>
        {
            // LimitOverrides compares by reference: its content is compared through its wire form.
            Assert.That(read with { Environment = instance.Environment, SecretEnvironment = instance.SecretEnvironment, Limits = instance.Limits }, Is.EqualTo(instance));
            Assert.That(read.Limits.ToWire(), Is.EqualTo(instance.Limits.ToWire()));
            Assert.That(read.Environment, Is.EqualTo(instance.Environment));
            Assert.That(read.SecretEnvironment, Is.Empty);
        });
    }

    [Test]
    public async Task Instance_lifecycle_policy_reads_back_as_set()
    {
        await Scripts.SetScriptAsync(Script("s"), CancellationToken.None);
        var restart = new RestartPolicy(RestartOn.Always, 2, 40, 3, 120);

        await Scripts.SetInstanceAsync(
            Instance("s", "policy") with { Enabled = false, Restart = restart, Overlap = OverlapPolicy.Queue, CatchUp = true }, CancellationToken.None);
        await Scripts.SetInstanceAsync(Instance("s", "plain"), CancellationToken.None);
        var read = Scripts.GetInstance("s", "policy")!;
        var plain = Scripts.GetInstance("s", "plain")!;

        Assert.Multiple(() =>
        {
            Assert.That((read.Enabled, read.Restart, read.Overlap, read.CatchUp), Is.EqualTo((false, restart, OverlapPolicy.Queue, true)));
            Assert.That((plain.Enabled, plain.Restart, plain.Overlap, plain.CatchUp), Is.EqualTo((true, (RestartPolicy?)null, OverlapPolicy.Skip, false)));
        });
    }

    [Test]
    public async Task Instance_defaults_read_back_as_defaults()
    {
        await Scripts.SetScriptAsync(Script("s"), CancellationToken.None);

        await Scripts.SetInstanceAsync(Instance("s", "plain"), CancellationToken.None);
        var read = Scripts.GetInstance("s", "plain")!;

        Assert.Multiple(() =>
        {
            Assert.That(read.Arguments, Is.Null);
            Assert.That(read.Environment, Is.Empty);
            Assert.That(read.TimeoutSeconds, Is.Null);
            Assert.That(read.StopGraceSeconds, Is.EqualTo(InstanceDefinition.DefaultStopGraceSeconds));
            Assert.That(read.StartTrigger, Is.EqualTo(TriggerDefinition.Manual));
            Assert.That(read.StopTrigger, Is.Null);
        });
    }

    [Test]
    public async Task Set_instance_again_replaces_its_configuration()
    {
        await Scripts.SetScriptAsync(Script("s"), CancellationToken.None);
        await Scripts.SetInstanceAsync(Instance("s", "i") with { Arguments = "old", StopTrigger = new TriggerDefinition(TriggerType.Xpath, "/x") }, CancellationToken.None);

        await Scripts.SetInstanceAsync(Instance("s", "i") with { Arguments = "new" }, CancellationToken.None);
        var read = Scripts.GetInstance("s", "i")!;

        Assert.Multiple(() =>
        {
            Assert.That(read.Arguments, Is.EqualTo("new"));
            Assert.That(read.StopTrigger, Is.Null);
            Assert.That(Scripts.ListInstances(), Has.Count.EqualTo(1));
        });
    }

    [Test]
    public async Task Secret_values_are_masked_unless_asked_for_and_kept_out_of_the_environment_column()
    {
        await Scripts.SetScriptAsync(Script("s"), CancellationToken.None);
        await Scripts.SetInstanceAsync(
            Instance("s", "i", new Dictionary<string, string> { ["TOKEN"] = "s3cret-token", ["KEY"] = "s3cret-key" })
                with { Environment = new Dictionary<string, string> { ["PLAIN"] = "visible" } },
            CancellationToken.None);

        var masked = Scripts.GetInstance("s", "i")!;
        var listed = Scripts.ListInstances().Single();
        var forSpawn = Scripts.GetInstance("s", "i", withSecrets: true)!;

        Assert.Multiple(() =>
        {
            var mask = new Dictionary<string, string> { ["KEY"] = InstanceDefinition.SecretMask, ["TOKEN"] = InstanceDefinition.SecretMask };
            Assert.That(masked.SecretEnvironment, Is.EqualTo(mask));
            Assert.That(listed.SecretEnvironment, Is.EqualTo(mask));
            Assert.That(forSpawn.SecretEnvironment, Is.EqualTo(new Dictionary<string, string> { ["KEY"] = "s3cret-key", ["TOKEN"] = "s3cret-token" }));
            Assert.That(forSpawn.Environment, Is.EqualTo(new Dictionary<string, string> { ["PLAIN"] = "visible" }));
            Assert.That(Count("SELECT COUNT(*) FROM instances WHERE env LIKE '%s3cret%';"), Is.Zero);
        });
    }

    [Test]
    public async Task Setting_an_instance_replaces_its_whole_set_of_secrets()
    {
        await Scripts.SetScriptAsync(Script("s"), CancellationToken.None);
        await Scripts.SetInstanceAsync(Instance("s", "i", new Dictionary<string, string> { ["OLD"] = "1", ["KEPT"] = "2" }), CancellationToken.None);
        await Scripts.SetInstanceAsync(Instance("s", "other", new Dictionary<string, string> { ["OTHER"] = "3" }), CancellationToken.None);

        await Scripts.SetInstanceAsync(Instance("s", "i", new Dictionary<string, string> { ["KEPT"] = "22", ["NEW"] = "4" }), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(Scripts.GetInstance("s", "i", withSecrets: true)!.SecretEnvironment,
                Is.EqualTo(new Dictionary<string, string> { ["KEPT"] = "22", ["NEW"] = "4" }));
            Assert.That(Scripts.GetInstance("s", "other", withSecrets: true)!.SecretEnvironment,
                Is.EqualTo(new Dictionary<string, string> { ["OTHER"] = "3" }));
        });
    }

    [Test]
    public async Task List_instances_is_ordered_by_script_then_name_with_each_ones_own_secret_names()
    {
        await Scripts.SetScriptAsync(Script("b"), CancellationToken.None);
        await Scripts.SetScriptAsync(Script("a"), CancellationToken.None);
        await Scripts.SetInstanceAsync(Instance("b", "x", new Dictionary<string, string> { ["BX"] = "1" }), CancellationToken.None);
        await Scripts.SetInstanceAsync(Instance("a", "y"), CancellationToken.None);
        await Scripts.SetInstanceAsync(Instance("a", "x", new Dictionary<string, string> { ["AX"] = "1" }), CancellationToken.None);

        var listed = Scripts.ListInstances();

        Assert.Multiple(() =>
        {
            Assert.That(listed.Select(i => (i.ScriptName, i.InstanceName)), Is.EqualTo(new[] { ("a", "x"), ("a", "y"), ("b", "x") }));
            Assert.That(listed.Select(i => string.Join(",", i.SecretEnvironment.Keys)), Is.EqualTo(new[] { "AX", "", "BX" }));
        });
    }

    [Test]
    public async Task Delete_instance_removes_it_and_its_secrets_and_says_whether_it_existed()
    {
        await Scripts.SetScriptAsync(Script("s"), CancellationToken.None);
        await Scripts.SetInstanceAsync(Instance("s", "i", new Dictionary<string, string> { ["TOKEN"] = "t" }), CancellationToken.None);
        await Scripts.SetInstanceAsync(Instance("s", "kept"), CancellationToken.None);

        var deleted = await Scripts.DeleteInstanceAsync("s", "i", CancellationToken.None);
        var again = await Scripts.DeleteInstanceAsync("s", "i", CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(deleted, Is.True);
            Assert.That(again, Is.False);
            Assert.That(Scripts.GetInstance("s", "i"), Is.Null);
            Assert.That(Scripts.InstanceExists("s", "i"), Is.False);
            Assert.That(Scripts.InstanceExists("s", "kept"), Is.True);
            Assert.That(Count("SELECT COUNT(*) FROM instance_secrets;"), Is.Zero);
        });
    }

    [Test]
    public async Task An_instance_of_a_script_that_is_not_stored_is_refused_and_nothing_is_written()
    {
        // The foreign key to scripts guards the race where the script is deleted between the caller's check and this write.
        var instance = Instance("missing", "i", new Dictionary<string, string> { ["TOKEN"] = "t" });

        Assert.That(async () => await Scripts.SetInstanceAsync(instance, CancellationToken.None), Throws.Exception);
        Assert.Multiple(() =>
        {
            Assert.That(Scripts.InstanceExists("missing", "i"), Is.False);
            Assert.That(Count("SELECT COUNT(*) FROM instance_secrets;"), Is.Zero);
        });
    }
}
