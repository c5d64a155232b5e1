using System.Text.Json.Nodes;
using ScriptExec.Cli.CommandLine;
using static ScriptExec.Cli.CommandLine.OptionSpec;

namespace ScriptExec.Cli.Commands;

/// <summary><c>scriptexec instance set|delete</c>: an instance's whole configuration, replaced at once.</summary>
internal static class InstanceCommands
{
    public const string SetUsage = "scriptexec instance set SCRIPT INSTANCE [--args ARGS] [--env K=V]... [--workdir DIR] [--user USER] "
        + "[--timeout S] [--grace S] [--start-trigger manual|xpath:SETTING|scheduler:CRON|scheduler:@reboot] [--stop-trigger manual|xpath:SETTING] "
        + "[--secret-env K=V]... [--role ROLE] [--limit NAME=N|unlimited]... [--restart on-failure|always|no] [--restart-delay S] "
        + "[--restart-max-delay S] [--restart-max N] [--restart-window S] [--overlap skip|queue] [--catch-up] [--enabled|--disabled]";

    public const string DeleteUsage = "scriptexec instance delete SCRIPT INSTANCE";

    public static readonly IReadOnlyList<OptionSpec> SetOptions =
    [
        Value("args"), Value("env"), Value("workdir"), Value("user"), Value("timeout"), Value("grace"), Value("start-trigger"), Value("stop-trigger"),
        .. InstancePolicyOptions.Options,
    ];

    public static async Task<int> SetAsync(CommandContext context, ParsedArguments args)
    {
        args.ExpectPositionals(2, SetUsage);
        var parameters = new JsonObject
        {
            ["script_name"] = args.Positionals[0],
            ["instance_name"] = args.Positionals[1],
            ["start_trigger"] = ParseTrigger(args.Value("start-trigger") ?? "manual", "--start-trigger", "manual, xpath:SETTING, scheduler:CRON or scheduler:@reboot"),
        };
        if (args.Value("stop-trigger") is { } stop)
        {
            parameters["stop_trigger"] = ParseTrigger(stop, "--stop-trigger", "manual or xpath:SETTING");
        }

        Optional(parameters, "arguments", args.Value("args"));
        Optional(parameters, "working_dir", args.Value("workdir"));
        Optional(parameters, "user", args.Value("user"));
        Optional(parameters, "timeout_s", args.Int("timeout", 1, int.MaxValue));
        Optional(parameters, "stop_grace_s", args.Int("grace", 0, int.MaxValue));
        var env = ParseEnvironment(args.Values("env"));
        InstancePolicyOptions.AddSecrets(env, args);
        if (env.Count > 0)
        {
            parameters["env"] = env;
        }

        InstancePolicyOptions.Add(parameters, args);

        var result = await context.CallAsync("script_instance_set", parameters);
        if (context.Json)
        {
            await context.WriteJsonAsync(result);
            return ExitCodes.Success;
        }

        await context.Out.WriteLineAsync($"{args.Positionals[0]}/{args.Positionals[1]}: saved".AsMemory(), context.CancellationToken);
        return ExitCodes.Success;
    }

    public static async Task<int> DeleteAsync(CommandContext context, ParsedArguments args)
    {
        args.ExpectPositionals(2, DeleteUsage);
        var result = await context.CallAsync("script_instance_delete", new JsonObject
        {
            ["script_name"] = args.Positionals[0],
            ["instance_name"] = args.Positionals[1],
        });
        if (context.Json)
        {
            await context.WriteJsonAsync(result);
            return ExitCodes.Success;
        }

        await context.Out.WriteLineAsync($"{args.Positionals[0]}/{args.Positionals[1]}: deleted".AsMemory(), context.CancellationToken);
        return ExitCodes.Success;
    }

    /// <summary><c>manual</c>, or <c>TYPE:SETTING</c> split at the first colon (settings may contain colons).</summary>
    internal static JsonObject ParseTrigger(string text, string option, string allowed)
    {
        if (text == "manual")
        {
            return new JsonObject { ["type"] = "manual" };
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == text.Length - 1)
        {
            throw new UsageException($"{option}: '{text}' is not one of {allowed}");
        }

        // The daemon validates the type and the setting (xpath syntax, cron fields) and names the field if wrong.
        return new JsonObject { ["type"] = text[..colon], ["setting"] = text[(colon + 1)..] };
    }

    internal static JsonObject ParseEnvironment(IEnumerable<string> entries)
    {
        var env = new JsonObject();
        foreach (var entry in entries)
        {
            var (name, value) = SplitAssignment(entry, "--env");
            env[name] = value;
        }

        return env;
    }

    /// <summary><c>NAME=VALUE</c> split at the first <c>=</c> (values may contain more).</summary>
    internal static (string Name, string Value) SplitAssignment(string entry, string option)
    {
        var eq = entry.IndexOf('=', StringComparison.Ordinal);
        return eq <= 0 ? throw new UsageException($"{option}: '{entry}' is not NAME=VALUE") : (entry[..eq], entry[(eq + 1)..]);
    }

    private static void Optional(JsonObject parameters, string name, string? value)
    {
        if (value is not null)
        {
            parameters[name] = value;
        }
    }

    private static void Optional(JsonObject parameters, string name, int? value)
    {
        if (value is not null)
        {
            parameters[name] = value;
        }
    }
}
