using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ScriptExec.Core.Triggers;

/// <summary>Comparison operators of an xpath condition.</summary>
public enum ComparisonOperator
{
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

/// <summary>
/// An xpath trigger setting: a bare path (fires whenever the value at or below it changes) or a condition
/// <c>path OP literal</c> (fires when it goes from false to true). Literals are quoted strings ('up' or "up")
/// or numbers. A comparison with a missing node, or of a string with a number, is false.
/// </summary>
public sealed class XpathTrigger
{
    private XpathTrigger(string setting, StatePath path, ComparisonOperator? op, JsonValue? literal)
    {
        Setting = setting;
        Path = path;
        Operator = op;
        Literal = literal;
    }

    /// <summary>The setting as given, recorded on the executions it triggers.</summary>
    public string Setting { get; }

    public StatePath Path { get; }

    /// <summary>Null for a bare path.</summary>
    public ComparisonOperator? Operator { get; }

    public JsonValue? Literal { get; }

    public bool IsCondition => Operator is not null;

    /// <summary>Parses a setting; the message of the <see cref="FormatException"/> says what is wrong.</summary>
    public static XpathTrigger Parse(string setting)
    {
        var text = setting.Trim();
        var end = 0;
        while (end < text.Length && !char.IsWhiteSpace(text[end]) && text[end] is not ('=' or '!' or '<' or '>'))
        {
            end++;
        }

        if (!StatePath.TryParse(text[..end], out var path) || path.Segments.Count == 0)
        {
            throw new FormatException($"'{text[..end]}' {StatePath.Rule}");
        }

        var rest = text[end..].TrimStart();
        if (rest.Length == 0)
        {
            return new XpathTrigger(setting, path, null, null);
        }

        var (op, width) = rest switch
        {
            _ when rest.StartsWith("!=", StringComparison.Ordinal) => (ComparisonOperator.NotEqual, 2),
            _ when rest.StartsWith("<=", StringComparison.Ordinal) => (ComparisonOperator.LessOrEqual, 2),
            _ when rest.StartsWith(">=", StringComparison.Ordinal) => (ComparisonOperator.GreaterOrEqual, 2),
            _ when rest.StartsWith('=') => (ComparisonOperator.Equal, 1),
            _ when rest.StartsWith('<') => (ComparisonOperator.Less, 1),
            _ when rest.StartsWith('>') => (ComparisonOperator.Greater, 1),
            _ => throw new FormatException($"expected one of = != < <= > >= after {path}, found '{rest}'"),
        };
        return new XpathTrigger(setting, path, op, ParseLiteral(rest[width..].Trim()));
    }

    /// <summary>The condition's truth for the value at <see cref="Path"/> (null: the node does not exist).</summary>
    public bool Evaluate(JsonNode? value)
    {
        if (Operator is not { } op || value is not JsonValue node)
        {
            return false;
        }

        int comparison;
        if (Literal!.TryGetValue<string>(out var text))
        {
            if (node.GetValueKind() != JsonValueKind.String)
            {
                return false;
            }

            comparison = string.CompareOrdinal(node.GetValue<string>(), text);
        }
        else
        {
            if (node.GetValueKind() != JsonValueKind.Number)
            {
                return false;
            }

            comparison = node.GetValue<double>().CompareTo(Literal.GetValue<double>());
        }

        return op switch
        {
            ComparisonOperator.Equal => comparison == 0,
            ComparisonOperator.NotEqual => comparison != 0,
            ComparisonOperator.Less => comparison < 0,
            ComparisonOperator.LessOrEqual => comparison <= 0,
            ComparisonOperator.Greater => comparison > 0,
            _ => comparison >= 0,
        };
    }

    private static JsonValue ParseLiteral(string text)
    {
        if (text.Length >= 2 && text[0] is '\'' or '"' && text[^1] == text[0])
        {
            var inner = text[1..^1];
            return inner.Contains(text[0], StringComparison.Ordinal)
                ? throw new FormatException($"the string literal {text} contains its own quote")
                : JsonValue.Create(inner);
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
            ? JsonValue.Create(number)
            : throw new FormatException($"expected a quoted string or a number, found '{text}'");
    }
}
