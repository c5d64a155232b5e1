using System.Text.Json;
using System.Text.Json.Nodes;
using ScriptExec.Cli.CommandLine;
using ScriptExec.Cli.Output;

namespace ScriptExec.Cli.Commands;

/// <summary>
/// <c>scriptexec instance get</c>: an instance's whole configuration (policy and limits included, secrets masked),
/// then what the overview knows of it now: whether a restart is pending and when, whether it gave up, the last run.
/// </summary>
internal static class InstanceGetCommand
{
    public const string Usage = "scriptexec instance get SCRIPT INSTANCE";

    public static async Task<int> RunAsync(CommandContext context, ParsedArguments args)
    {
        args.ExpectPositionals(2, Usage);
        var (script, instance) = (args.Positionals[0], args.Positionals[1]);
        var configuration = await context.CallAsync("script_instance_get", new JsonObject { ["script_name"] = script, ["instance_name"] = instance });
        if (context.Json)
        {
            await context.WriteJsonAsync(configuration);
            return ExitCodes.Success;
        }

        var lines = new List<string>();
        foreach (var field in configuration.EnumerateObject().Where(f => f.Name is not ("script_name" or "instance_name")))
        {
            lines.Add($"{field.Name}: {Render(field.Value)}");
        }

        if (Overview(await context.CallAsync("script_overview_get", []), script, instance) is { } now)
        {
            lines.Add("next_start: " + (now.TryGetProperty("next_start_timestamp", out var next) ? Format.LocalTime(next.GetInt64()) : "-"));
            if (now.TryGetProperty("restart_gave_up", out var gaveUp) && gaveUp.GetBoolean())
            {
                lines.Add("restart_gave_up: true");
            }

            lines.Add("last_execution: " + (now.TryGetProperty("last_execution", out var last)
                ? $"{last.GetProperty("id").GetInt64()} {last.GetProperty("state").GetString()}"
                : "-"));
        }

        await context.Out.WriteAsync($"{script}/{instance}\n{string.Concat(lines.Select(l => "  " + l + "\n"))}".AsMemory(), context.CancellationToken);
        return ExitCodes.Success;
    }

    private static JsonElement? Overview(JsonElement overview, string script, string instance) =>
        overview.GetProperty("scripts").EnumerateArray()
            .Where(s => s.GetProperty("name").GetString() == script)
            .SelectMany(s => s.GetProperty("instances").EnumerateArray())
            .Where(i => i.GetProperty("name").GetString() == instance)
            .Select(i => (JsonElement?)i)
            .FirstOrDefault();

    // Strings as they are, everything else (numbers, triggers, env, limits, restart policy) as compact JSON.
    private static string Render(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
}
