using System.Text;
using System.Text.Json.Nodes;
using ScriptExec.Cli.CommandLine;
using ScriptExec.Cli.Connection;

namespace ScriptExec.Cli.Commands;

/// <summary><c>scriptexec script set|get|delete</c>: managing script sources.</summary>
internal static class ScriptCommands
{
    public const string SetUsage = "scriptexec script set NAME FILE [--description TEXT]";
    public const string GetUsage = "scriptexec script get NAME";
    public const string DeleteUsage = "scriptexec script delete NAME";

    public static readonly IReadOnlyList<OptionSpec> SetOptions = [OptionSpec.Value("description")];

    public static async Task<int> SetAsync(CommandContext context, ParsedArguments args)
    {
        args.ExpectPositionals(2, SetUsage);
        var (name, file) = (args.Positionals[0], args.Positionals[1]);
        var parameters = new JsonObject { ["name"] = name, ["source"] = await ReadSourceAsync(context, file) };
        if (args.Value("description") is { } description)
        {
            parameters["description"] = description;
        }

        var result = await context.CallAsync("script_set", parameters);
        if (context.Json)
        {
            await context.WriteJsonAsync(result);
            return ExitCodes.Success;
        }

        var script = ReplyReader.Read(result, CliJsonContext.Default.WireScript, "script_set");
        await context.Out.WriteLineAsync($"{script.Name}: saved, version {script.Version}".AsMemory(), context.CancellationToken);
        return ExitCodes.Success;
    }

    public static async Task<int> GetAsync(CommandContext context, ParsedArguments args)
    {
        args.ExpectPositionals(1, GetUsage);
        var result = await context.CallAsync("script_get", new JsonObject { ["name"] = args.Positionals[0] });
        if (context.Json)
        {
            await context.WriteJsonAsync(result);
            return ExitCodes.Success;
        }

        // The source exactly as stored, so that `script get x > x.sh` round-trips.
        await context.Out.WriteAsync((ReplyReader.Read(result, CliJsonContext.Default.WireScript, "script_get").Source ?? string.Empty).AsMemory(), context.CancellationToken);
        return ExitCodes.Success;
    }

    public static async Task<int> DeleteAsync(CommandContext context, ParsedArguments args)
    {
        args.ExpectPositionals(1, DeleteUsage);
        var name = args.Positionals[0];
        var result = await context.CallAsync("script_delete", new JsonObject { ["name"] = name });
        if (context.Json)
        {
            await context.WriteJsonAsync(result);
            return ExitCodes.Success;
        }

        await context.Out.WriteLineAsync($"{name}: deleted".AsMemory(), context.CancellationToken);
        return ExitCodes.Success;
    }

    /// <summary>Reads FILE, or standard input for <c>-</c>; an unreadable file is a usage error.</summary>
    private static async Task<string> ReadSourceAsync(CommandContext context, string file)
    {
        if (file == "-")
        {
            return await context.In.ReadToEndAsync(context.CancellationToken);
        }

        try
        {
            return await File.ReadAllTextAsync(file, new UTF8Encoding(false), context.CancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {file}: {e.Message}");
        }
    }
}
