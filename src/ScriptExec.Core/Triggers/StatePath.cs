using System.Text.RegularExpressions;

namespace ScriptExec.Core.Triggers;

/// <summary>
/// A slash path into the state tree, such as <c>/networking/eth0/link</c>. Segments are non-empty and made of
/// <c>[-A-Za-z0-9_.:@]</c>; <c>/</c> alone is the root.
/// </summary>
public sealed partial class StatePath : IEquatable<StatePath>
{
    public const string Rule = "must be a slash path such as /networking/eth0/link (segments of [-A-Za-z0-9_.:@])";

    public static readonly StatePath Root = new([]);

    private StatePath(string[] segments)
    {
        Segments = segments;
        Text = "/" + string.Join('/', segments);
    }

    public IReadOnlyList<string> Segments { get; }

    public string Text { get; }

    public static bool TryParse(string? text, out StatePath path)
    {
        path = Root;
        if (text is null || text.Length is 0 or > 1024 || text[0] != '/')
        {
            return false;
        }

        if (text == "/")
        {
            return true;
        }

        var segments = text[1..].Split('/');
        if (segments.Any(s => !SegmentPattern().IsMatch(s)))
        {
            return false;
        }

        path = new StatePath(segments);
        return true;
    }

    public static StatePath Parse(string text) =>
        TryParse(text, out var path) ? path : throw new FormatException($"'{text}' {Rule}");

    /// <summary>True when this path is <paramref name="other"/> or lies below it.</summary>
    public bool IsAtOrBelow(StatePath other) =>
        other.Segments.Count <= Segments.Count && other.Segments.SequenceEqual(Segments.Take(other.Segments.Count), StringComparer.Ordinal);

    /// <summary>True when a change at one path can change the value at the other (one contains the other).</summary>
    public bool Overlaps(StatePath other) => IsAtOrBelow(other) || other.IsAtOrBelow(this);

    public bool Equals(StatePath? other) => other is not null && other.Text == Text;

    public override bool Equals(object? obj) => Equals(obj as StatePath);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Text);

    public override string ToString() => Text;

    [GeneratedRegex("^[-A-Za-z0-9_.:@]+$", RegexOptions.CultureInvariant)]
    private static partial Regex SegmentPattern();
}
