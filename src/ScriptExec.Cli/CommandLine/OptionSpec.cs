namespace ScriptExec.Cli.CommandLine;

/// <summary>One option a command accepts: <c>--name</c> (and an optional short alias), with or without a value.</summary>
internal sealed record OptionSpec(string Name, bool TakesValue, string? Short = null)
{
    public static OptionSpec Flag(string name, string? shortName = null) => new(name, false, shortName);

    public static OptionSpec Value(string name, string? shortName = null) => new(name, true, shortName);
}
