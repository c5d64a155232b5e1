namespace ScriptExec.Cli.CommandLine;

/// <summary>
/// A strict, small GNU-style parser: <c>--name value</c>, <c>--name=value</c>, short aliases, <c>--</c> ends options.
/// A value-taking option takes the next word verbatim, so <c>--limit -5</c> and <c>--args "-v"</c> work.
/// Unknown options are errors, never ignored.
/// </summary>
internal static class ArgumentParser
{
    /// <summary>Parses <paramref name="args"/> from <paramref name="start"/> against <paramref name="specs"/> into <paramref name="into"/>.</summary>
    public static void Parse(IReadOnlyList<string> args, int start, IReadOnlyList<OptionSpec> specs, ParsedArguments into)
    {
        for (var i = start; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                into.Positionals.AddRange(args.Skip(i + 1));
                return;
            }

            if (arg.Length < 2 || arg[0] != '-')
            {
                into.Positionals.Add(arg);
                continue;
            }

            i = ReadOption(args, i, specs, into.Options);
        }
    }

    /// <summary>Reads the option at <paramref name="index"/>; returns the index of the last word it used.</summary>
    public static int ReadOption(IReadOnlyList<string> args, int index, IReadOnlyList<OptionSpec> specs, List<KeyValuePair<string, string?>> into)
    {
        var arg = args[index];
        string? inlineValue = null;
        var name = arg;
        var eq = arg.IndexOf('=', StringComparison.Ordinal);
        if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 2)
        {
            (name, inlineValue) = (arg[..eq], arg[(eq + 1)..]);
        }

        var spec = Find(specs, name) ?? throw new UsageException($"unknown option '{name}'");
        if (!spec.TakesValue)
        {
            if (inlineValue is not null)
            {
                throw new UsageException($"option '--{spec.Name}' takes no value");
            }

            into.Add(new(spec.Name, null));
            return index;
        }

        if (inlineValue is not null)
        {
            into.Add(new(spec.Name, inlineValue));
            return index;
        }

        if (index + 1 >= args.Count)
        {
            throw new UsageException($"option '--{spec.Name}' needs a value");
        }

        into.Add(new(spec.Name, args[index + 1]));
        return index + 1;
    }

    public static OptionSpec? Find(IReadOnlyList<OptionSpec> specs, string word) =>
        specs.FirstOrDefault(s => word == "--" + s.Name || (s.Short is not null && word == "-" + s.Short));
}
