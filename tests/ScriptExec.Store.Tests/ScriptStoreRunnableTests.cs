using ScriptExec.Core;

namespace ScriptExec.Store.Tests;

/// <summary>GetRunnable keeps what it read until the catalog changes: every change is seen by the next read.</summary>
public sealed class ScriptStoreRunnableTests : StoreFixture
{
    private static ScriptDefinition Script(string source) => new("s", source, ScriptDefinition.VersionOf(source), null, 1_700_000_000);

    private static InstanceDefinition Instance(string? arguments, IReadOnlyDictionary<string, string>? secrets = null) => new()
    {
        ScriptName = "s",
        InstanceName = "i",
        Arguments = arguments,
        SecretEnvironment = secrets ?? new Dictionary<string, string>(),
    };

    [Test]
    public async Task An_unchanged_catalog_is_read_once_and_every_change_is_read_again()
    {
        await Scripts.SetScriptAsync(Script("echo 1"), CancellationToken.None);
        await Scripts.SetInstanceAsync(Instance("a"), CancellationToken.None);

        var first = Scripts.GetRunnable("s", "i");
        var again = Scripts.GetRunnable("s", "i");
        await Scripts.SetScriptAsync(Script("echo 2"), CancellationToken.None);
        var newScript = Scripts.GetRunnable("s", "i");
        await Scripts.SetInstanceAsync(Instance("b"), CancellationToken.None);
        var newInstance = Scripts.GetRunnable("s", "i");
        await Scripts.DeleteInstanceAsync("s", "i", CancellationToken.None);
        var noInstance = Scripts.GetRunnable("s", "i");
        await Scripts.DeleteScriptAsync("s", CancellationToken.None);
        var noScript = Scripts.GetRunnable("s", "i");

        Assert.Multiple(() =>
        {
            Assert.That(first.Script!.Source, Is.EqualTo("echo 1"));
            Assert.That(first.Instance!.Arguments, Is.EqualTo("a"));
            Assert.That(again.Instance, Is.SameAs(first.Instance), "no change, no new read");
            Assert.That(newScript.Script!.Source, Is.EqualTo("echo 2"));
            Assert.That(newInstance.Instance!.Arguments, Is.EqualTo("b"));
            Assert.That(noInstance.Script, Is.Not.Null);
            Assert.That(noInstance.Instance, Is.Null);
            Assert.That(noScript, Is.EqualTo(((ScriptDefinition?)null, (InstanceDefinition?)null)));
        });
    }

    [Test]
    public async Task The_instances_of_one_script_share_one_copy_of_it_until_the_script_changes()
    {
        await Scripts.SetScriptAsync(Script("echo 1"), CancellationToken.None);
        await Scripts.SetInstanceAsync(Instance("a"), CancellationToken.None);
        await Scripts.SetInstanceAsync(Instance("b") with { InstanceName = "j" }, CancellationToken.None);

        var first = Scripts.GetRunnable("s", "i");
        var second = Scripts.GetRunnable("s", "j");
        await Scripts.SetScriptAsync(Script("echo 2"), CancellationToken.None);
        var changed = Scripts.GetRunnable("s", "j");

        Assert.Multiple(() =>
        {
            Assert.That(second.Instance!.Arguments, Is.EqualTo("b"));
            Assert.That(second.Script, Is.SameAs(first.Script), "one copy of the script for both instances");
            Assert.That(changed.Script!.Source, Is.EqualTo("echo 2"));
            Assert.That(changed.Script, Is.Not.SameAs(first.Script));
        });
    }

    [Test]
    public async Task An_instance_with_secrets_is_read_with_their_values_every_time()
    {
        await Scripts.SetScriptAsync(Script("echo 1"), CancellationToken.None);
        await Scripts.SetInstanceAsync(Instance(null, new Dictionary<string, string> { ["TOKEN"] = "t1" }), CancellationToken.None);

        var first = Scripts.GetRunnable("s", "i");
        var again = Scripts.GetRunnable("s", "i");

        Assert.Multiple(() =>
        {
            Assert.That(first.Instance!.SecretEnvironment["TOKEN"], Is.EqualTo("t1"));
            Assert.That(again.Instance!.SecretEnvironment["TOKEN"], Is.EqualTo("t1"));
            Assert.That(again.Instance, Is.Not.SameAs(first.Instance), "secret values are not kept between starts");
        });
    }
}
