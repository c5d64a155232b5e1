using ScriptExec.Cli.Commands;

namespace ScriptExec.Cli.CommandLine;

/// <summary>A command: its words (<c>script set</c>), usage line, own options and handler.</summary>
internal sealed record CommandDefinition(
    string Name,
    string Usage,
    IReadOnlyList<OptionSpec> Options,
    Func<CommandContext, ParsedArguments, Task<int>> RunAsync);
