using System.Globalization;
using System.Text.Json.Nodes;
using ScriptExec.Cli.CommandLine;
using static ScriptExec.Cli.CommandLine.OptionSpec;

namespace ScriptExec.Cli.Commands;

/// <summary><c>scriptexec start|stop|rerun</c>: controlling executions.</summary>
internal static class ControlCommands
{
    public const string StartUsage = "scriptexec start SCRIPT INSTANCE [--args ARGS] [--wait]";
    public const string StopUsage = "scriptexec stop SCRIPT INSTANCE [--force]";
    public const string RerunUsage = "scriptexec rerun ID [--wait]";

    public static readonly IReadOnlyList<OptionSpec> StartOptions = [Value("args"), Flag("wait")];
    public static readonly IReadOnlyList<OptionSpec> StopOptions = [Flag("force")];
    public static readonly IReadOnlyList<OptionSpec> RerunOptions = [Flag("wait")];

    /// <summary>Prints the new execution's id (alone on its line, for <c>id=$(scriptexec start …)</c>).</summary>
    public static async Task<int> StartAsync(CommandContext context, ParsedArguments args)
    {
        args.ExpectPositionals(2, StartUsage);
        var (script, instance) = (args.Positionals[0], args.Positionals[1]);
        var parameters = new JsonObject { ["script_name"] = script, ["instance_name"] = instance };
        if (args.Value("args") is { } arguments)
        {
            parameters["arguments"] = arguments;
        }

        return await RunAsync(context, "script_start", parameters, script, instance, args.Has("wait"));
    }

    public static async Task<int> RerunAsync(CommandContext context, ParsedArguments args)
    {
        args.ExpectPositionals(1, RerunUsage);
        var id = ParsedArguments.ParseLong(args.Positionals[0], "ID", 0);
        var wait = args.Has("wait");
        string? script = null, instance = null;
        if (wait)
        {
            // The instance is needed for the subscription, which must exist before the run starts.
            await using var lookup = await context.ConnectAsync();
            var previous = (await ExecutionWaiter.GetAsync(lookup, id, context.CancellationToken)).Execution;
            (script, instance) = (previous.ScriptName, previous.InstanceName);
        }

        return await RunAsync(context, "script_execution_rerun", new JsonObject { ["execution_id"] = id }, script, instance, wait);
    }

    public static async Task<int> StopAsync(CommandContext context, ParsedArguments args)
    {
        args.ExpectPositionals(2, StopUsage);
        var result = await context.CallAsync("script_stop", new JsonObject
        {
            ["script_name"] = args.Positionals[0],
            ["instance_name"] = args.Positionals[1],
            ["force"] = args.Has("force"),
        });
        if (context.Json)
        {
            await context.WriteJsonAsync(result);
            return ExitCodes.Success;
        }

        var execution = ExecutionRecord.From(result, "script_stop").Execution;
        await context.Out.WriteLineAsync(
            $"{execution.ScriptName}/{execution.InstanceName}: execution {execution.Id} {execution.State}".AsMemory(), context.CancellationToken);
        return ExitCodes.Success;
    }

    private static async Task<int> RunAsync(CommandContext context, string method, JsonObject parameters, string? script, string? instance, bool wait)
    {
        await using var client = await context.ConnectAsync();
        var waiter = wait ? await ExecutionWaiter.SubscribeAsync(client, script!, instance!, output: false, context.CancellationToken) : null;
        var result = await client.CallAsync(method, parameters, context.CancellationToken);
        var execution = ExecutionRecord.From(result, method).Execution;
        if (context.Json && waiter is null)
        {
            await context.WriteJsonAsync(result);
        }
        else if (!context.Json)
        {
            await context.Out.WriteLineAsync(execution.Id.ToString(CultureInfo.InvariantCulture).AsMemory(), context.CancellationToken);
        }

        if (waiter is null)
        {
            return ExitCodes.Success;
        }

        // The id is worth seeing now, not when the run ends.
        await context.Out.FlushAsync(context.CancellationToken);
        var ended = await waiter.WaitForEndAsync(execution.Id, context.CancellationToken);
        if (context.Json)
        {
            // One JSON document even with --wait: the ended execution, as the daemon reported it.
            await context.WriteJsonAsync(new JsonObject { ["execution"] = JsonNode.Parse(ended.Raw.GetRawText()) });
        }

        return ExecutionWaiter.ExitStatusOf(ended.Execution);
    }
}
