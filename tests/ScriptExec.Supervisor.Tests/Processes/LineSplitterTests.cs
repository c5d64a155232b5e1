using System.Text;
using ScriptExec.Supervisor.Processes;

namespace ScriptExec.Supervisor.Tests.Processes;

public class LineSplitterTests
{
    private sealed class Collector : ILineHandler
    {
        public List<byte[]> Lines { get; } = [];

        public List<string> Text => [.. Lines.Select(line => Encoding.UTF8.GetString(line))];

        public void OnLine(ReadOnlySpan<byte> line) => Lines.Add(line.ToArray());
    }

    private static Collector Split(int cap, params string[] chunks) =>
        SplitBytes(cap, [.. chunks.Select(Encoding.UTF8.GetBytes)]);

    private static Collector SplitBytes(int cap, params byte[][] chunks)
    {
        var collector = new Collector();
        using var splitter = new LineSplitter(cap, collector);
        foreach (var chunk in chunks)
        {
            splitter.Push(chunk);
        }

        splitter.Flush();
        return collector;
    }

    [Test]
    public void Splits_on_newline_and_keeps_empty_lines()
    {
        Assert.That(Split(16, "a\n\nb\n").Text, Is.EqualTo(new[] { "a", "", "b" }));
    }

    [Test]
    public void Drops_one_carriage_return_before_the_newline()
    {
        Assert.That(Split(16, "a\r\nb\r\r\nc\rd\n").Text, Is.EqualTo(new[] { "a", "b\r", "c\rd" }));
    }

    [Test]
    public void Joins_a_line_that_arrives_in_several_chunks()
    {
        Assert.That(Split(16, "ab", "c", "d\ne", "f\r", "\n").Text, Is.EqualTo(new[] { "abcd", "ef" }));
    }

    [Test]
    public void Keeps_a_last_line_without_newline_and_nothing_more()
    {
        Assert.That(Split(16, "a\nlast").Text, Is.EqualTo(new[] { "a", "last" }));
        Assert.That(Split(16, "a\n").Text, Is.EqualTo(new[] { "a" }));
        Assert.That(Split(16).Text, Is.Empty);
    }

    [Test]
    public void A_line_of_exactly_the_cap_stays_whole_even_with_a_carriage_return()
    {
        Assert.That(Split(4, "abcd\n").Text, Is.EqualTo(new[] { "abcd" }));
        Assert.That(Split(4, "ab", "cd\r", "\n").Text, Is.EqualTo(new[] { "abcd" }));
    }

    [TestCase(1)]
    [TestCase(3)]
    [TestCase(1000)]
    public void Splits_a_long_line_into_pieces_of_at_most_the_cap(int chunkSize)
    {
        var line = string.Concat(Enumerable.Range(0, 100).Select(i => (char)('a' + (i % 26))));
        var input = Encoding.UTF8.GetBytes(line + "\nnext\n");

        var collector = SplitBytes(16, [.. input.Chunk(chunkSize)]);

        Assert.That(collector.Lines.All(piece => piece.Length <= 16), Is.True);
        Assert.That(collector.Text[^1], Is.EqualTo("next"));
        Assert.That(string.Concat(collector.Text.SkipLast(1)), Is.EqualTo(line));
    }

    [TestCase(1)]
    [TestCase(7)]
    [TestCase(4096)]
    public void Never_cuts_inside_a_multi_byte_character(int chunkSize)
    {
        // 1-, 2-, 3- and 4-byte characters, so every cut position meets each kind.
        var line = string.Concat(Enumerable.Repeat("aé€😀", 50));
        var input = Encoding.UTF8.GetBytes(line);

        foreach (var cap in new[] { 4, 5, 6, 7, 16 })
        {
            var collector = SplitBytes(cap, [.. input.Chunk(chunkSize)]);

            Assert.That(collector.Lines.All(piece => piece.Length <= cap), Is.True, $"cap {cap}");
            Assert.That(collector.Text.Any(piece => piece.Contains('\uFFFD', StringComparison.Ordinal)), Is.False, $"cap {cap}");
            Assert.That(string.Concat(collector.Text), Is.EqualTo(line), $"cap {cap}");
        }
    }

    [Test]
    public void Cuts_at_the_cap_inside_a_run_of_stray_continuation_bytes()
    {
        var input = Enumerable.Repeat((byte)0x80, 10).ToArray();

        var collector = SplitBytes(4, input);

        Assert.That(collector.Lines.Select(piece => piece.Length), Is.EqualTo(new[] { 4, 4, 2 }));
    }

    [Test]
    public void Cut_point_backs_off_to_the_start_of_the_character()
    {
        var bytes = Encoding.UTF8.GetBytes("ab😀");

        Assert.That(LineSplitter.CutPoint(bytes, 4), Is.EqualTo(2));
        Assert.That(LineSplitter.CutPoint(bytes, 2), Is.EqualTo(2));
    }

    [Test]
    public void Rejects_a_cap_that_cannot_hold_every_character()
    {
        Assert.That(() => new LineSplitter(3, new Collector()), Throws.TypeOf<ArgumentOutOfRangeException>());
    }
}
