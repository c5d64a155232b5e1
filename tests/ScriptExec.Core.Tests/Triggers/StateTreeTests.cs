using System.Text.Json.Nodes;
using ScriptExec.Core.Triggers;

namespace ScriptExec.Core.Tests.Triggers;

public sealed class StateTreeTests
{
    [Test]
    public void Set_creates_parents_and_get_reads_back()
    {
        var tree = new StateTree();

        tree.Set(StatePath.Parse("/networking/eth0/link"), JsonValue.Create("up"));

        Assert.Multiple(() =>
        {
            Assert.That(tree.Get(StatePath.Parse("/networking/eth0/link"))!.GetValue<string>(), Is.EqualTo("up"));
            Assert.That(tree.ToJson(), Is.EqualTo("""{"networking":{"eth0":{"link":"up"}}}"""));
            Assert.That(tree.Get(StatePath.Parse("/networking/eth1")), Is.Null);
        });
    }

    [Test]
    public void Null_deletes_the_node_and_keeps_siblings()
    {
        var tree = StateTree.FromJson("""{"a":{"b":1,"c":2}}""");

        tree.Set(StatePath.Parse("/a/b"), null);
        tree.Set(StatePath.Parse("/x/y"), null);

        Assert.That(tree.ToJson(), Is.EqualTo("""{"a":{"c":2}}"""));
    }

    [Test]
    public void A_value_in_the_way_is_not_silently_replaced()
    {
        var tree = StateTree.FromJson("""{"a":5}""");

        Assert.Multiple(() =>
        {
            Assert.That(() => tree.Set(StatePath.Parse("/a/b"), JsonValue.Create(1)), Throws.InvalidOperationException.With.Message.Contains("/a"));
            Assert.That(tree.ToJson(), Is.EqualTo("""{"a":5}"""));
        });
    }

    [Test]
    public void Root_can_be_replaced_by_an_object_only()
    {
        var tree = new StateTree();

        tree.Set(StatePath.Root, JsonNode.Parse("""{"k":true}"""));

        Assert.Multiple(() =>
        {
            Assert.That(tree.Get(StatePath.Root)!.ToJsonString(), Is.EqualTo("""{"k":true}"""));
            Assert.That(() => tree.Set(StatePath.Root, JsonValue.Create(1)), Throws.InvalidOperationException);
        });
    }
}
