using System.Text.Json.Nodes;
using ScriptExec.Cli.CommandLine;
using ScriptExec.Cli.Connection;
using ScriptExec.Cli.Output;
using static ScriptExec.Cli.CommandLine.OptionSpec;

namespace ScriptExec.Cli.Commands;

/// <summary><c>scriptexec logs ID [-f]</c>: an execution's output, like <c>journalctl</c> for one run.</summary>
internal static class LogsCommand
{
    public const string Usage = "scriptexec logs ID [-n|--lines N] [-f|--follow] [--stdout|--stderr]";

    /// <summary>The daemon's maximum page size for output lines.</summary>
    public const int PageSize = 1000;

    public static readonly IReadOnlyList<OptionSpec> Options = [Flag("follow", "f"), Value("lines", "n"), Flag("stdout"), Flag("stderr")];

    public static async Task<int> RunAsync(CommandContext context, ParsedArguments args)
    {
        args.ExpectPositionals(1, Usage);
        var id = ParsedArguments.ParseLong(args.Positionals[0], "ID", 0);
        var tail = args.Int("lines", 0, int.MaxValue);
        if (args.Has("stdout") && args.Has("stderr"))
        {
            throw new UsageException("--stdout and --stderr exclude each other; give neither for both streams");
        }

        var selection = args.Has("stdout") ? StreamSelection.Stdout : args.Has("stderr") ? StreamSelection.Stderr : StreamSelection.Both;
        var printer = new LinePrinter(context.Out, context.Error, selection, context.Json);
        await using var client = await context.ConnectAsync();
        if (tail is { } count)
        {
            await OutputTail.PrintAsync(client, printer, id, selection, count, context.CancellationToken);
        }

        if (!args.Has("follow"))
        {
            if (tail is null)
            {
                await PrintStoredAsync(client, printer, id, selection, context.CancellationToken);
            }

            await printer.FlushAsync(context.CancellationToken);
            return ExitCodes.Success;
        }

        var ended = await new LogFollower(client, printer, id).RunAsync(context.CancellationToken);
        await printer.FlushAsync(context.CancellationToken);

        // As `start --wait`: how it ended on stderr (after every line of output), and its status as ours.
        await context.Error.WriteLineAsync(EndLine(ended).AsMemory(), context.CancellationToken);
        return ExecutionWaiter.ExitStatusOf(ended);
    }

    /// <summary><c>-- execution 42 finished: exit code 0, 4.2s --</c>, <c>-- execution 43 killed: SIGTERM, 1m03s, stopped by manual (alice) --</c>.</summary>
    internal static string EndLine(WireExecution execution)
    {
        var how = execution.State == "killed" && execution.ExitCode is null ? "fate unknown" : execution.State == "killed"
            ? Format.Exit(execution)
            : "exit code " + Format.Exit(execution);
        var stoppedBy = execution.StopTrigger is null ? string.Empty : ", stopped by " + Format.Trigger(execution.StopTrigger);
        return $"-- execution {Format.Number(execution.Id)} {execution.State}: {how}, {Format.Duration(execution.Duration)}{stoppedBy} --";
    }

    /// <summary>Prints the stored lines after <see cref="LinePrinter.LastId"/>; returns the execution as the last page saw it.</summary>
    public static async Task<WireExecution> PrintStoredAsync(
        DaemonClient client, LinePrinter printer, long id, StreamSelection selection, CancellationToken cancellationToken)
    {
        while (true)
        {
            var page = await ReadPageAsync(client, id, printer.LastId, selection, cancellationToken);
            foreach (var line in page.Lines)
            {
                await printer.PrintAsync(line, cancellationToken);
            }

            if (page.Lines.Count < PageSize)
            {
                return page.Execution;
            }
        }
    }

    public static async Task<WireOutputPage> ReadPageAsync(
        DaemonClient client, long id, long afterId, StreamSelection selection, CancellationToken cancellationToken)
    {
        var filter = new JsonObject { ["execution_id"] = id };
        if (selection != StreamSelection.Both)
        {
            filter["streams"] = new JsonArray(selection == StreamSelection.Stdout ? "stdout" : "stderr");
        }

        var pagination = new JsonObject { ["limit"] = PageSize };
        if (afterId > 0)
        {
            pagination["id_exclusive"] = afterId;
        }

        var result = await client.CallAsync("script_execution_output_get", new JsonObject { ["filter"] = filter, ["pagination"] = pagination }, cancellationToken);
        return ReplyReader.Read(result, CliJsonContext.Default.WireOutputPage, "script_execution_output_get");
    }
}
