using System.Globalization;

namespace ScriptExec.Cli.CommandLine;

/// <summary>A command's positional arguments and its options in the order given (order matters for <c>--script/--instance</c>).</summary>
internal sealed class ParsedArguments
{
    public List<string> Positionals { get; } = [];

    public List<KeyValuePair<string, string?>> Options { get; } = [];

    public bool Has(string name) => Options.Exists(o => o.Key == name);

    /// <summary>The value of a single-valued option; the last one wins, so an alias's defaults can be overridden.</summary>
    public string? Value(string name) => Values(name) is { Count: > 0 } values ? values[^1] : null;

    public List<string> Values(string name) => [.. Options.Where(o => o.Key == name).Select(o => o.Value!)];

    public long? Long(string name, long min = long.MinValue, long max = long.MaxValue) =>
        Value(name) is { } text ? ParseLong(text, "--" + name, min, max) : null;

    public int? Int(string name, int min, int max) => (int?)Long(name, min, max);

    /// <summary>A time option (<c>--since yesterday</c>) as Unix seconds; see <see cref="TimeExpression"/>.</summary>
    public long? Time(string name, TimeProvider clock) =>
        Value(name) is { } text ? TimeExpression.ParseUnixSeconds(text, "--" + name, clock) : null;

    public static long ParseLong(string text, string what, long min = long.MinValue, long max = long.MaxValue) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new UsageException($"{what}: '{text}' is not an integer between {min} and {max}");

    /// <summary>Checks the number of positionals against the command's usage line.</summary>
    public void ExpectPositionals(int count, string usage)
    {
        if (Positionals.Count < count)
        {
            throw new UsageException($"missing argument; usage: {usage}");
        }

        if (Positionals.Count > count)
        {
            throw new UsageException($"unexpected argument '{Positionals[count]}'; usage: {usage}");
        }
    }
}
