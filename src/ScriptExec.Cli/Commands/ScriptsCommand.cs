using ScriptExec.Cli.CommandLine;
using ScriptExec.Cli.Connection;
using ScriptExec.Cli.Output;

namespace ScriptExec.Cli.Commands;

/// <summary><c>scriptexec scripts</c>: every script and instance with its last execution, like <c>supervisorctl status</c>.</summary>
internal static class ScriptsCommand
{
    public static async Task<int> RunAsync(CommandContext context, ParsedArguments args)
    {
        args.ExpectPositionals(0, "scriptexec scripts");
        var result = await context.CallAsync("script_overview_get");
        if (context.Json)
        {
            await context.WriteJsonAsync(result);
            return ExitCodes.Success;
        }

        var table = new Table("SCRIPT", "VERSION", "INSTANCE", "START TRIGGER", "LAST", "STATE", "EXIT");
        foreach (var script in ReplyReader.Read(result, CliJsonContext.Default.WireOverview, "script_overview_get").Scripts)
        {
            if (script.Instances.Count == 0)
            {
                table.Add(script.Name, script.Version, Format.None, Format.None, Format.None, Format.None, Format.None);
            }

            foreach (var instance in script.Instances)
            {
                var last = instance.LastExecution;
                table.Add(
                    script.Name,
                    script.Version,
                    instance.Name,
                    Format.Trigger(instance.StartTrigger),
                    last is null ? Format.None : Format.Number(last.Id),
                    last?.State ?? Format.None,
                    last is null ? Format.None : Format.Exit(last));
            }
        }

        await table.WriteAsync(context.Out, context.CancellationToken);
        return ExitCodes.Success;
    }
}
