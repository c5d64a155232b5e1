namespace ScriptExec.Core.Tests;

public sealed class NamesTests
{
    [TestCase("hello_world", true)]
    [TestCase("a-b.c_9", true)]
    [TestCase("", false)]
    [TestCase(".", false)]
    [TestCase("..", false)]
    [TestCase("has space", false)]
    [TestCase("slash/name", false)]
    [TestCase("ünïcode", false)]
    public void Names_follow_the_rule(string name, bool valid) => Assert.That(Names.IsValid(name), Is.EqualTo(valid));

    [Test]
    public void Names_are_at_most_100_characters()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Names.IsValid(new string('a', 100)), Is.True);
            Assert.That(Names.IsValid(new string('a', 101)), Is.False);
        });
    }

    [Test]
    public void Version_is_a_stable_content_hash()
    {
        Assert.Multiple(() =>
        {
            Assert.That(ScriptDefinition.VersionOf("echo hi"), Is.EqualTo("56a79f3b11544807"), "SHA-256 prefix, stable across runs and machines");
            Assert.That(ScriptDefinition.VersionOf("echo hi"), Is.Not.EqualTo(ScriptDefinition.VersionOf("echo ho")));
            Assert.That(ScriptDefinition.VersionOf("echo hi"), Does.Match("^[0-9a-f]{16}$"));
        });
    }
}
