using System.Text.Json.Nodes;
using ScriptExec.Cli.CommandLine;
using ScriptExec.Cli.Connection;
using ScriptExec.Cli.Output;
using static ScriptExec.Cli.CommandLine.OptionSpec;

namespace ScriptExec.Cli.Commands;

/// <summary><c>scriptexec executions</c>: RipEX2's <c>script_execution_get</c> with its filters as flags.</summary>
internal static class ExecutionsCommand
{
    public const string Usage = "scriptexec executions [--script S [--instance I]...]... [--state S]... [--exit-code N]... [--outdated] "
        + "[--limit N] [--after-id ID] [--since TIME] [--until TIME] [--json]";

    private const int DefaultLimit = 20;

    private static readonly string[] States = ["running", "terminating", "finished", "killed"];

    public static readonly IReadOnlyList<OptionSpec> Options =
    [
        Value("script"), Value("instance"), Value("state"), Value("exit-code"), Flag("outdated"),
        Value("limit"), Value("after-id"), Value("since"), Value("until"),
    ];

    public static async Task<int> RunAsync(CommandContext context, ParsedArguments args)
    {
        args.ExpectPositionals(0, Usage);
        var parameters = BuildParams(args, context.Clock);
        if (context.Json)
        {
            // The daemon's result, unchanged; no second query and no hint.
            await context.WriteJsonAsync(await context.CallAsync("script_execution_get", parameters));
            return ExitCodes.Success;
        }

        var (executions, hidden) = await QueryAsync(context, parameters, args.Has("outdated"));
        var now = context.Clock.GetUtcNow();
        var table = new Table("ID", "SCRIPT", "INSTANCE", "STATE", "EXIT", "DURATION", "STARTED", "TRIGGER", "STOPPED BY");
        foreach (var e in executions)
        {
            table.Add(
                Format.Number(e.Id),
                e.ScriptName,
                e.InstanceName,
                e.IsOutdated ? e.State + "*" : e.State,
                Format.Exit(e),
                Format.Duration(e, now),
                Format.LocalTime(e.StartTimestamp),
                Format.Trigger(e.StartTrigger),
                Format.Trigger(e.StopTrigger));
        }

        await table.WriteAsync(context.Out, context.CancellationToken);
        if (hidden > 0)
        {
            await context.Error.WriteLineAsync(
                $"scriptexec: {hidden} run{(hidden == 1 ? " of an earlier script version is" : "s of earlier script versions are")} hidden; --outdated shows them (marked *)"
                    .AsMemory(), context.CancellationToken);
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// The page the filters select, and how many runs of since-changed scripts the same page would show with
    /// <c>--outdated</c>. One query with outdated runs included: when the page has none, it is exactly the page
    /// without them; only when it has some is the query repeated as asked. So the hint costs a second query
    /// only when it is printed.
    /// </summary>
    private static async Task<(List<WireExecution> Executions, int Hidden)> QueryAsync(CommandContext context, JsonObject parameters, bool outdated)
    {
        await using var client = await context.ConnectAsync();
        var withOutdated = parameters.DeepClone().AsObject();
        if (withOutdated["filter"] is not JsonObject filter)
        {
            withOutdated["filter"] = filter = [];
        }

        filter["include_outdated"] = true;
        var all = await ReadAsync(client, withOutdated, context.CancellationToken);
        var hidden = all.Count(e => e.IsOutdated);
        return outdated || hidden == 0 ? (all, 0) : (await ReadAsync(client, parameters, context.CancellationToken), hidden);
    }

    private static async Task<List<WireExecution>> ReadAsync(DaemonClient client, JsonObject parameters, CancellationToken cancellationToken) =>
        ReplyReader.Read(
            await client.CallAsync("script_execution_get", parameters, cancellationToken),
            CliJsonContext.Default.WireExecutions,
            "script_execution_get").Executions;

    /// <summary>Builds <c>{filter, pagination}</c>; only the filters given are sent (omitted means "all").</summary>
    internal static JsonObject BuildParams(ParsedArguments args, TimeProvider clock)
    {
        var filter = new JsonObject();
        if (Instances(args) is { Count: > 0 } instances)
        {
            filter["instances"] = instances;
        }

        var states = args.Values("state");
        foreach (var state in states.Where(s => !States.Contains(s)))
        {
            throw new UsageException($"--state: '{state}' is not one of {string.Join(", ", States)}");
        }

        if (states.Count > 0)
        {
            filter["states"] = new JsonArray([.. states.Select(s => JsonValue.Create(s))]);
        }

        var exitCodes = args.Values("exit-code").Select(c => ParsedArguments.ParseLong(c, "--exit-code", int.MinValue, int.MaxValue)).ToList();
        if (exitCodes.Count > 0)
        {
            filter["exit_codes"] = new JsonArray([.. exitCodes.Select(c => JsonValue.Create(c))]);
        }

        if (args.Has("outdated"))
        {
            filter["include_outdated"] = true;
        }

        if (args.Time("since", clock) is { } since)
        {
            filter["start_after"] = since;
        }

        if (args.Time("until", clock) is { } until)
        {
            filter["start_before"] = until;
        }

        // Newest first by default; given only a reference id, "after" reads naturally as the next ones.
        var afterId = args.Long("after-id", 0);
        var limit = args.Long("limit", -1000, 1000) ?? (afterId is null ? -DefaultLimit : DefaultLimit);
        if (limit == 0)
        {
            throw new UsageException("--limit: must be between -1000 and 1000 and non-zero");
        }

        var pagination = new JsonObject { ["limit"] = limit };
        if (afterId is { } reference)
        {
            pagination["id_exclusive"] = reference;
        }

        var parameters = new JsonObject { ["pagination"] = pagination };
        if (filter.Count > 0)
        {
            parameters["filter"] = filter;
        }

        return parameters;
    }

    /// <summary><c>--script S</c> starts an entry; each <c>--instance I</c> after it narrows that entry.</summary>
    private static JsonArray Instances(ParsedArguments args)
    {
        var entries = new JsonArray();
        JsonObject? current = null;
        foreach (var (name, value) in args.Options)
        {
            if (name == "script")
            {
                current = new JsonObject { ["script_name"] = value };
                // As JsonNode: the generic JsonArray.Add<T> serializes by reflection (IL2026/IL3050 in the native build).
                entries.Add((JsonNode)current);
            }
            else if (name == "instance")
            {
                if (current is null)
                {
                    throw new UsageException("--instance must follow the --script it belongs to");
                }

                if (current["instance_names"] is not JsonArray names)
                {
                    current["instance_names"] = names = [];
                }

                names.Add((JsonNode?)JsonValue.Create(value));
            }
        }

        return entries;
    }
}
