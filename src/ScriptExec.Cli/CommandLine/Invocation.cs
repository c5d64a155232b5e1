namespace ScriptExec.Cli.CommandLine;

/// <summary>The command line split into the command (null for a bare <c>--help</c>/<c>--version</c>) and its arguments.</summary>
internal sealed record Invocation(CommandDefinition? Command, ParsedArguments Arguments)
{
    /// <summary>
    /// Global options may come before the command words; after them, the command's own options and the global
    /// ones are accepted in any order. An option before the command that is not global is an error.
    /// </summary>
    public static Invocation Parse(IReadOnlyList<string> args, IReadOnlyList<CommandDefinition> commands)
    {
        var parsed = new ParsedArguments();
        var words = new List<string>();
        var i = 0;
        CommandDefinition? command = null;
        for (; i < args.Count && command is null; i++)
        {
            var arg = args[i];
            if (arg.Length > 1 && arg[0] == '-' && arg != "--")
            {
                i = ArgumentParser.ReadOption(args, i, GlobalOptions.Specs, parsed.Options);
                continue;
            }

            words.Add(arg);
            var name = string.Join(' ', words);
            command = commands.FirstOrDefault(c => c.Name == name);
            if (command is null && !commands.Any(c => c.Name.StartsWith(name + " ", StringComparison.Ordinal)))
            {
                throw new UsageException($"unknown command '{name}'");
            }
        }

        if (command is null)
        {
            if (words.Count > 0 && !parsed.Has(GlobalOptions.Help))
            {
                var choices = commands.Where(c => c.Name.StartsWith(words[0] + " ", StringComparison.Ordinal)).Select(c => c.Name.Split(' ')[1]);
                throw new UsageException($"'{words[0]}' needs a subcommand: {string.Join(", ", choices)}");
            }

            return new Invocation(null, parsed);
        }

        ArgumentParser.Parse(args, i, [.. GlobalOptions.Specs, .. command.Options], parsed);
        return new Invocation(command, parsed);
    }
}
