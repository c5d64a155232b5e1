using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ScriptExec.Daemon.Tests.Support.Fuzzing;
using ScriptExec.Rpc.Methods;
using StreamJsonRpc;

namespace ScriptExec.Daemon.Tests.Faults;

/// <summary>
/// Every method of the API (found on the RPC target, so a new one is covered or fails this suite) gets NULs, huge
/// strings, wrong types and deep nesting in every field, and a message just over the size limit: each is refused
/// with -32602 naming the field (-32600 for the over-size message), never -32603; nothing is stored or started;
/// the daemon answers afterwards.
/// </summary>
[Category("Faults")]
[NonParallelizable]
public sealed class HostileParamsTests
{
    private const int MaxMessageBytes = 256 * 1024;

    private static readonly JsonWriterOptions DeepWriter = new() { MaxDepth = 2048 };

    private static IReadOnlyList<string> Methods { get; } =
    [
        .. typeof(RpcMethods).GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Select(m => m.GetCustomAttribute<JsonRpcMethodAttribute>()?.Name)
            .OfType<string>()
            .Order(StringComparer.Ordinal),
    ];

    [Test]
    public void Every_method_has_params_to_mutate() =>
        Assert.That(Methods.Except(ParamsMutations.Templates.Keys), Is.Empty, "give each new method valid params in ParamsMutations.Templates");

    [TestCase("unix")]
    [TestCase("websocket")]
    public async Task Hostile_params_in_every_method_are_refused_naming_the_field_with_nothing_stored_or_started(string transport)
    {
        await using var daemon = await DaemonUnderTest.StartAsync(null, "--max-message-bytes", MaxMessageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var client = await daemon.ConnectAsync(transport);
        var codes = new SortedDictionary<int, int>();
        foreach (var message in FuzzCorpus.Setup)
        {
            Assert.That((await client.SendRawAsync(message))!["error"], Is.Null, message);
        }

        await WaitUntilNothingRunsAsync(client);
        var problems = new List<string>();
        var sent = 0;
        foreach (var method in Methods)
        {
            var before = await SnapshotAsync(client);
            foreach (var hostile in ParamsMutations.For(method))
            {
                sent++;
                JsonObject reply;
                try
                {
                    reply = (await client.SendRawAsync(Request(hostile)))!.AsObject();
                }
                catch (TimeoutException)
                {
                    problems.Add($"{hostile.Method} {hostile.Field} ({hostile.Mutation}): no reply, connection {(client.Closed.Task.IsCompleted ? "closed" : "open")}");
                    await client.DisposeAsync();
                    client = await daemon.ConnectAsync(transport);
                    continue;
                }

                var code = reply["error"]?["code"]?.GetValue<int>() ?? 0;
                codes[code] = codes.GetValueOrDefault(code) + 1;
                if (Problem(reply, hostile) is { } problem)
                {
                    problems.Add(problem);
                }
            }

            sent++;
            var oversize = await client.SendRawAsync(ParamsMutations.OversizeMessage(method, MaxMessageBytes));
            var oversizeCode = oversize?["error"]?["code"]?.GetValue<int>() ?? 0;
            codes[oversizeCode] = codes.GetValueOrDefault(oversizeCode) + 1;
            if (oversizeCode != -32600)
            {
                problems.Add($"{method} over {MaxMessageBytes} bytes: {oversize?.ToJsonString()}");
            }

            await client.DisposeAsync();
            client = await daemon.ConnectAsync(transport);
            var after = await SnapshotAsync(client);
            if (after != before)
            {
                problems.Add($"{method}: something was stored or started:\nbefore {before}\nafter  {after}");
            }
        }

        await client.DisposeAsync();
        foreach (var each in new[] { "unix", "websocket" })
        {
            await using var check = await daemon.ConnectAsync(each);
            Assert.That((await check.CallAsync("status"))["pid"]!.GetValue<int>(), Is.EqualTo(daemon.Pid));
        }

        TestContext.Out.WriteLine($"{transport}: {Methods.Count} methods, {sent} hostile requests, replies by code: "
            + $"{string.Join(", ", codes.Select(c => $"{c.Key}: {c.Value}"))}; {problems.Count} problems");
        Assert.That(problems, Is.Empty, string.Join('\n', problems.Take(40)));
        Assert.That(Methods, Has.Count.GreaterThanOrEqualTo(ParamsMutations.Templates.Count));
    }

    /// <summary>What is wrong with the reply to <paramref name="hostile"/>, or null when it is the refusal it should be.</summary>
    private static string? Problem(JsonObject reply, HostileCase hostile)
    {
        var code = reply["error"]?["code"]?.GetValue<int>();
        var field = reply["error"]?["data"]?["field"]?.GetValue<string>() ?? "";

        // The field itself, the part of it that is wrong, or the field (or params) that holds it.
        var named = field.Length > 0 && (hostile.Field.StartsWith(field, StringComparison.Ordinal) || field.StartsWith(hostile.Field, StringComparison.Ordinal));

        // JSON-RPC 2.0: params, when present, must be an object or array, or the request is not a valid Request object.
        var invalidRequest = code == -32600 && hostile.Field == "params" && hostile.Params is JsonValue;
        return (code == -32602 && named) || invalidRequest
            ? null
            : $"{hostile.Method} {hostile.Field} ({hostile.Mutation}): {Shorten(reply.ToJsonString())}";
    }

    private static string Request(HostileCase hostile)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, DeepWriter))
        {
            new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 7, ["method"] = hostile.Method, ["params"] = hostile.Params.DeepClone() }.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Everything a hostile request could change: scripts, instances, the state tree, executions, what runs.</summary>
    private static async Task<string> SnapshotAsync(RpcClient client)
    {
        var overview = await client.CallAsync("script_overview_get");
        var instance = await client.CallRawAsync("script_instance_get", new { script_name = FuzzCorpus.Script, instance_name = FuzzCorpus.Instance });
        var script = await client.CallRawAsync("script_get", new { name = FuzzCorpus.Script });
        var state = await client.CallAsync("state_get", new { xpath = "/" });
        var executions = await client.CallAsync("script_execution_get", new { pagination = new { limit = 1000 } });
        var running = (await client.CallAsync("status"))["running"];
        return new JsonObject
        {
            ["overview"] = overview.DeepClone(),
            ["instance"] = instance["result"]?.DeepClone(),
            ["script"] = script["result"]?.DeepClone(),
            ["state"] = state.DeepClone(),
            ["executions"] = executions.DeepClone(),
            ["running"] = running?.DeepClone(),
        }.ToJsonString();
    }

    /// <summary>
    /// Until the setup run has left the running list and its end is committed: the list drops a run as its process is
    /// reaped, a moment before the end record is written, and a snapshot in between saw the run end under it.
    /// </summary>
    private static Task WaitUntilNothingRunsAsync(RpcClient client) =>
        Eventually.ThatAsync(
            async () => (await client.CallAsync("status"))["running"]!.AsArray().Count == 0
                && (await client.CallAsync("script_execution_get", new
                {
                    filter = new { states = new[] { "running", "terminating" } },
                    pagination = new { limit = 1 },
                }))["executions"]!.AsArray().Count == 0,
            "the setup run ended and its end was stored");

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
