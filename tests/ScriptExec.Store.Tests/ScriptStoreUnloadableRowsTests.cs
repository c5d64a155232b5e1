using Dapper;
using ScriptExec.Core;

namespace ScriptExec.Store.Tests;

/// <summary>Rows another (older, damaged or hand-edited) writer left that this daemon cannot load.</summary>
public sealed class ScriptStoreUnloadableRowsTests : StoreFixture
{
    private Task<int> StoreRawAsync(string sql, object? args = null) =>
        Db.WriteAsync((c, t) => c.Execute(sql, args, t), CancellationToken.None);

    private Task<int> StoreRawScriptAsync(string name, string source) => StoreRawAsync(
        "INSERT INTO scripts (name, version, source, description, updated_timestamp) VALUES (@name, 'v', @source, NULL, 1);",
        new { name, source });

    private Task<int> StoreRawInstanceAsync(string script, string name, string env = "{}", string startTrigger = "manual") => StoreRawAsync(
        """
        INSERT INTO instances (script_name, name, env, stop_grace_s, start_trigger_type, updated_timestamp)
        VALUES (@script, @name, @env, 10, @startTrigger, 1);
        """,
        new { script, name, env, startTrigger });

    private async Task WithScriptAsync(string name) =>
        await Scripts.SetScriptAsync(new ScriptDefinition(name, "echo", ScriptDefinition.VersionOf("echo"), null, 1), CancellationToken.None);

    [Test]
    public async Task A_script_with_an_invalid_name_is_left_out_of_the_list_and_reported()
    {
        await WithScriptAsync("good");
        await StoreRawScriptAsync("bad name!", "echo");

        var listed = Scripts.ListScripts();

        Assert.Multiple(() =>
        {
            Assert.That(listed.Select(s => s.Name), Is.EqualTo(new[] { "good" }));
            Assert.That(Scripts.GetScript("bad name!"), Is.Null);
            Assert.That(Unloadable.List(), Is.EqualTo(new[] { new UnloadableRow("script", "bad name!", "its name " + Names.Rule) }));
        });
    }

    [Test]
    public async Task A_script_whose_source_holds_NUL_is_not_loaded_and_setting_it_again_clears_the_report()
    {
        await StoreRawScriptAsync("nul", "echo \0 oops");

        var beforeSet = Scripts.GetScript("nul");
        var reportedBeforeSet = Unloadable.List();
        await WithScriptAsync("nul");
        var afterSet = Scripts.GetScript("nul");

        Assert.Multiple(() =>
        {
            Assert.That(beforeSet, Is.Null);
            Assert.That(reportedBeforeSet, Is.EqualTo(new[] { new UnloadableRow("script", "nul", "its source contains NUL characters") }));
            Assert.That(afterSet?.Source, Is.EqualTo("echo"));
            Assert.That(Unloadable.Count, Is.Zero);
        });
    }

    [Test]
    public async Task An_instance_with_a_broken_environment_is_a_conflict_on_get_and_left_out_of_the_list()
    {
        await WithScriptAsync("s");
        await Scripts.SetInstanceAsync(new InstanceDefinition { ScriptName = "s", InstanceName = "good" }, CancellationToken.None);
        await StoreRawInstanceAsync("s", "broken", env: "{not json");

        var listed = Scripts.ListInstances();
        var get = Assert.Throws<ScriptExecException>(() => Scripts.GetInstance("s", "broken"));

        Assert.Multiple(() =>
        {
            Assert.That(listed.Select(i => i.InstanceName), Is.EqualTo(new[] { "good" }));
            Assert.That(get!.Kind, Is.EqualTo(ErrorKind.Conflict));
            Assert.That(get.Message, Does.Contain("script_instance_set").And.Contain("delete"));
            Assert.That(Scripts.InstanceExists("s", "broken"), Is.True);
            Assert.That(Unloadable.List().Select(r => (r.Kind, r.Key)), Is.EqualTo(new[] { ("instance", "s/broken") }));
        });
    }

    [Test]
    public async Task An_instance_with_an_unknown_trigger_type_is_reported_with_the_reason()
    {
        await WithScriptAsync("s");
        await StoreRawInstanceAsync("s", "future", startTrigger: "mqtt");

        Assert.Multiple(() =>
        {
            Assert.That(Scripts.ListInstances(), Is.Empty);
            Assert.That(Unloadable.List().Single().Reason, Does.Contain("mqtt"));
        });
    }

    [Test]
    public async Task Setting_an_unloadable_instance_again_makes_it_load_and_clears_the_report()
    {
        await WithScriptAsync("s");
        await StoreRawInstanceAsync("s", "broken", env: "[1, 2]");
        Assert.That(Scripts.ListInstances(), Is.Empty);

        await Scripts.SetInstanceAsync(new InstanceDefinition { ScriptName = "s", InstanceName = "broken", Arguments = "fixed" }, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(Unloadable.Count, Is.Zero);
            Assert.That(Scripts.GetInstance("s", "broken")!.Arguments, Is.EqualTo("fixed"));
        });
    }

    [Test]
    public async Task Deleting_an_unloadable_instance_removes_it_and_clears_the_report()
    {
        await WithScriptAsync("s");
        await StoreRawInstanceAsync("s", "broken", env: "{not json");
        Assert.That(Scripts.ListInstances(), Is.Empty);

        var deleted = await Scripts.DeleteInstanceAsync("s", "broken", CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(deleted, Is.True);
            Assert.That(Scripts.InstanceExists("s", "broken"), Is.False);
            Assert.That(Unloadable.Count, Is.Zero);
        });
    }
}
