using ScriptExec.Cli.CommandLine;

namespace ScriptExec.Cli.Commands;

/// <summary>Every command the CLI knows, by its words.</summary>
internal static class CommandTable
{
    public static readonly IReadOnlyList<CommandDefinition> All =
    [
        new("status", "scriptexec status", [], StatusCommand.RunAsync),
        new("scripts", "scriptexec scripts", [], ScriptsCommand.RunAsync),
        new("script set", ScriptCommands.SetUsage, ScriptCommands.SetOptions, ScriptCommands.SetAsync),
        new("script get", ScriptCommands.GetUsage, [], ScriptCommands.GetAsync),
        new("script delete", ScriptCommands.DeleteUsage, [], ScriptCommands.DeleteAsync),
        new("instance set", InstanceCommands.SetUsage, InstanceCommands.SetOptions, InstanceCommands.SetAsync),
        new("instance get", InstanceGetCommand.Usage, [], InstanceGetCommand.RunAsync),
        new("instance delete", InstanceCommands.DeleteUsage, [], InstanceCommands.DeleteAsync),
        new("start", ControlCommands.StartUsage, ControlCommands.StartOptions, ControlCommands.StartAsync),
        new("stop", ControlCommands.StopUsage, ControlCommands.StopOptions, ControlCommands.StopAsync),
        new("restart", LifecycleCommands.RestartUsage, [], LifecycleCommands.RestartAsync),
        new("enable", LifecycleCommands.EnableUsage, [], LifecycleCommands.EnableAsync),
        new("disable", LifecycleCommands.DisableUsage, [], LifecycleCommands.DisableAsync),
        new("rerun", ControlCommands.RerunUsage, ControlCommands.RerunOptions, ControlCommands.RerunAsync),
        new("executions", ExecutionsCommand.Usage, ExecutionsCommand.Options, ExecutionsCommand.RunAsync),
        new("logs", LogsCommand.Usage, LogsCommand.Options, LogsCommand.RunAsync),
        new("help", "scriptexec help", [], (context, _) => HelpText.WriteAsync(context.Out, context.CancellationToken)),
    ];
}
