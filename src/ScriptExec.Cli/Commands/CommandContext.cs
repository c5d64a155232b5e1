using System.Text.Json;
using System.Text.Json.Nodes;
using ScriptExec.Cli.CommandLine;
using ScriptExec.Cli.Connection;

namespace ScriptExec.Cli.Commands;

/// <summary>What a command runs with: its standard streams, the global options and a way to reach the daemon.</summary>
internal sealed class CommandContext
{
    public CommandContext(
        TextWriter output, TextWriter error, TextReader input, ParsedArguments arguments, Func<string, string?> environment, CancellationToken cancellationToken,
        TimeProvider? clock = null)
    {
        Clock = clock ?? TimeProvider.System;
        Out = output;
        Error = error;
        In = input;
        Json = arguments.Has(GlobalOptions.Json);
        Connection = ConnectionSettings.From(arguments, environment);
        CancellationToken = cancellationToken;
    }

    /// <summary>Now, and the local time zone (which follows TZ): for <c>--since</c> and the elapsed time of running runs.</summary>
    public TimeProvider Clock { get; }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    public TextReader In { get; }

    /// <summary><c>--json</c>: print the daemon's raw result instead of the human format.</summary>
    public bool Json { get; }

    public ConnectionSettings Connection { get; }

    public CancellationToken CancellationToken { get; }

    public Task<DaemonClient> ConnectAsync() => DaemonClient.ConnectAsync(Connection, CancellationToken);

    /// <summary>Connects, makes one call and disconnects.</summary>
    public async Task<JsonElement> CallAsync(string method, JsonObject? parameters = null)
    {
        await using var client = await ConnectAsync();
        return await client.CallAsync(method, parameters, CancellationToken);
    }

    /// <summary>Writes a result as indented JSON, for <c>--json</c> and <c>jq</c>.</summary>
    public Task WriteJsonAsync(JsonElement result) =>
        Out.WriteLineAsync(JsonSerializer.Serialize(result, IndentedJsonContext.Default.JsonElement).AsMemory(), CancellationToken);

    public Task WriteJsonAsync(JsonNode result) =>
        Out.WriteLineAsync(result.ToJsonString(IndentedJsonContext.Default.Options).AsMemory(), CancellationToken);
}
