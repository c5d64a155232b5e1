using System.Globalization;
using System.Text.Json.Nodes;
using ScriptExec.Cli.CommandLine;

namespace ScriptExec.Cli.Commands;

/// <summary><c>scriptexec enable|disable|restart</c>: an instance's lifecycle (docs/API.md, "Lifecycle policy").</summary>
internal static class LifecycleCommands
{
    public const string EnableUsage = "scriptexec enable SCRIPT INSTANCE";
    public const string DisableUsage = "scriptexec disable SCRIPT INSTANCE";
    public const string RestartUsage = "scriptexec restart SCRIPT INSTANCE";

    public static Task<int> EnableAsync(CommandContext context, ParsedArguments args) => SetEnabledAsync(context, args, true, EnableUsage);

    public static Task<int> DisableAsync(CommandContext context, ParsedArguments args) => SetEnabledAsync(context, args, false, DisableUsage);

    /// <summary>
    /// Stops the running execution, waits for its end, then starts the instance; an instance that is not running is
    /// just started (as <c>systemctl restart</c>). Prints the new execution's id.
    /// </summary>
    public static async Task<int> RestartAsync(CommandContext context, ParsedArguments args)
    {
        args.ExpectPositionals(2, RestartUsage);
        var (script, instance) = (args.Positionals[0], args.Positionals[1]);
        var names = new JsonObject { ["script_name"] = script, ["instance_name"] = instance };
        await using var client = await context.ConnectAsync();

        // Subscribed before the stop, so the end cannot be missed between the two calls.
        var waiter = await ExecutionWaiter.SubscribeAsync(client, script, instance, output: false, context.CancellationToken);
        try
        {
            var stopped = ExecutionRecord.From(await client.CallAsync("script_stop", names.DeepClone().AsObject(), context.CancellationToken), "script_stop");
            await waiter.WaitForEndAsync(stopped.Execution.Id, context.CancellationToken);
        }
        catch (RpcErrorException e) when (e.Reason == "not_running")
        {
            // Nothing to stop: start it.
        }

        var result = await client.CallAsync("script_start", names, context.CancellationToken);
        if (context.Json)
        {
            await context.WriteJsonAsync(result);
            return ExitCodes.Success;
        }

        var execution = ExecutionRecord.From(result, "script_start").Execution;
        await context.Out.WriteLineAsync(execution.Id.ToString(CultureInfo.InvariantCulture).AsMemory(), context.CancellationToken);
        return ExitCodes.Success;
    }

    private static async Task<int> SetEnabledAsync(CommandContext context, ParsedArguments args, bool enabled, string usage)
    {
        args.ExpectPositionals(2, usage);
        var result = await context.CallAsync("script_instance_enabled_set", new JsonObject
        {
            ["script_name"] = args.Positionals[0],
            ["instance_name"] = args.Positionals[1],
            ["enabled"] = enabled,
        });
        if (context.Json)
        {
            await context.WriteJsonAsync(result);
            return ExitCodes.Success;
        }

        await context.Out.WriteLineAsync(
            $"{args.Positionals[0]}/{args.Positionals[1]}: {(enabled ? "enabled" : "disabled")}".AsMemory(), context.CancellationToken);
        return ExitCodes.Success;
    }
}
