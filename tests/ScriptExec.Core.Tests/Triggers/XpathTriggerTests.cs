using System.Text.Json.Nodes;
using ScriptExec.Core.Triggers;

namespace ScriptExec.Core.Tests.Triggers;

public sealed class XpathTriggerTests
{
    [TestCase("/networking/eth0/link", "/networking/eth0/link", null)]
    [TestCase("/networking/eth0/link = 'up'", "/networking/eth0/link", ComparisonOperator.Equal)]
    [TestCase("/networking/eth0/link='up'", "/networking/eth0/link", ComparisonOperator.Equal)]
    [TestCase("/a != \"down\"", "/a", ComparisonOperator.NotEqual)]
    [TestCase("/system/load > 3", "/system/load", ComparisonOperator.Greater)]
    [TestCase("/system/load >= 3.5", "/system/load", ComparisonOperator.GreaterOrEqual)]
    [TestCase("/system/load < -1", "/system/load", ComparisonOperator.Less)]
    [TestCase("  /system/load <= 1e3 ", "/system/load", ComparisonOperator.LessOrEqual)]
    public void Parses_paths_and_conditions(string setting, string path, ComparisonOperator? op)
    {
        var trigger = XpathTrigger.Parse(setting);

        Assert.Multiple(() =>
        {
            Assert.That(trigger.Path.Text, Is.EqualTo(path));
            Assert.That(trigger.Operator, Is.EqualTo(op));
            Assert.That(trigger.Setting, Is.EqualTo(setting));
        });
    }

    [TestCase("", TestName = "Empty setting is rejected")]
    [TestCase("networking/eth0", TestName = "Relative path is rejected")]
    [TestCase("/", TestName = "Root alone is not a trigger path")]
    [TestCase("/a//b", TestName = "Empty segment is rejected")]
    [TestCase("/a = up", TestName = "Unquoted string literal is rejected")]
    [TestCase("/a = 'up", TestName = "Unterminated quote is rejected")]
    [TestCase("/a == 'up'", TestName = "Double equals is rejected")]
    [TestCase("/a ~ 1", TestName = "Unknown operator is rejected")]
    [TestCase("/a >", TestName = "Missing literal is rejected")]
    [TestCase("/a = 'it's'", TestName = "Quote inside a literal is rejected")]
    public void Invalid_settings_are_rejected(string setting) =>
        Assert.That(() => XpathTrigger.Parse(setting), Throws.TypeOf<FormatException>().With.Message.Not.Empty);

    [TestCase("/a = 'up'", "\"up\"", true)]
    [TestCase("/a = 'up'", "\"down\"", false)]
    [TestCase("/a != 'up'", "\"down\"", true)]
    [TestCase("/a = 'up'", "1", false)]
    [TestCase("/a > 3", "4", true)]
    [TestCase("/a > 3", "3", false)]
    [TestCase("/a >= 3", "3", true)]
    [TestCase("/a < 3", "2.5", true)]
    [TestCase("/a <= 3", "3.0", true)]
    [TestCase("/a > 3", "\"4\"", false)]
    [TestCase("/a = 1", "true", false)]
    [TestCase("/a != 'up'", null, false)]
    [TestCase("/a > 3", "{\"b\": 5}", false)]
    public void Conditions_evaluate_against_the_node(string setting, string? json, bool expected)
    {
        var node = json is null ? null : JsonNode.Parse(json);

        Assert.That(XpathTrigger.Parse(setting).Evaluate(node), Is.EqualTo(expected));
    }

    [Test]
    public void Paths_overlap_when_one_contains_the_other()
    {
        var eth0 = StatePath.Parse("/networking/eth0");

        Assert.Multiple(() =>
        {
            Assert.That(StatePath.Parse("/networking/eth0/link").Overlaps(eth0), Is.True);
            Assert.That(StatePath.Parse("/networking").Overlaps(eth0), Is.True);
            Assert.That(StatePath.Root.Overlaps(eth0), Is.True);
            Assert.That(StatePath.Parse("/networking/eth1").Overlaps(eth0), Is.False);
            Assert.That(StatePath.Parse("/networking/eth00").Overlaps(eth0), Is.False);
        });
    }
}
