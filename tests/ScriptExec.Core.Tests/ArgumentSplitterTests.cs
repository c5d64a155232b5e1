namespace ScriptExec.Core.Tests;

public sealed class ArgumentSplitterTests
{
    [TestCase("", new string[0])]
    [TestCase("   ", new string[0])]
    [TestCase("-v --arg1 value1", new[] { "-v", "--arg1", "value1" })]
    [TestCase("a  \t b\nc", new[] { "a", "b", "c" })]
    [TestCase("'a b' c", new[] { "a b", "c" })]
    [TestCase("\"a b\" c", new[] { "a b", "c" })]
    [TestCase("x'a b'y", new[] { "xa by" })]
    [TestCase("'it''s'", new[] { "its" })]
    [TestCase("\"say \\\"hi\\\"\"", new[] { "say \"hi\"" })]
    [TestCase("\"back\\\\slash\"", new[] { "back\\slash" })]
    [TestCase("\"keep \\n as is\"", new[] { "keep \\n as is" })]
    [TestCase("a\\ b", new[] { "a b" })]
    [TestCase("''", new[] { "" })]
    [TestCase("\"\"", new[] { "" })]
    [TestCase("$HOME `id` *", new[] { "$HOME", "`id`", "*" })]
    [TestCase("'single \\ keeps backslash'", new[] { "single \\ keeps backslash" })]
    [TestCase("a\\\nb", new[] { "ab" })]
    public void Splits_like_a_shell_without_expansion(string input, string[] expected)
    {
        Assert.That(ArgumentSplitter.Split(input), Is.EqualTo(expected));
    }

    [TestCase("'open")]
    [TestCase("\"open")]
    [TestCase("trailing\\")]
    public void Unterminated_quotes_and_trailing_backslash_are_rejected(string input)
    {
        Assert.That(() => ArgumentSplitter.Split(input), Throws.TypeOf<FormatException>());
    }

    [Test]
    public void Null_splits_to_nothing() => Assert.That(ArgumentSplitter.Split(null), Is.Empty);
}
