using System.Text.Json;
using System.Text.Json.Nodes;

namespace ScriptExec.Daemon.Tests.Support.Fuzzing;

/// <summary>One hostile request: the method, its params, what was done to them and which field that was.</summary>
public sealed record HostileCase(string Method, JsonNode Params, string Mutation, string Field);

/// <summary>
/// Hostile params derived from one valid params object per method (refer to what <see cref="FuzzCorpus.Setup"/>
/// creates): every field, at every depth, gets a NUL, a string too large for any field, every wrong JSON type and
/// nesting far beyond what any field takes. Each must be refused as invalid params naming that field.
/// </summary>
public static class ParamsMutations
{
    /// <summary>Valid params for every method. A method missing here fails the suite: each new method must be covered.</summary>
    public static readonly IReadOnlyDictionary<string, string> Templates = new Dictionary<string, string>
    {
        ["status"] = """{"filter":{"instances":[{"script_name":"fz","instance_names":["main"]}]}}""",
        ["script_overview_get"] = "{}",
        ["authenticate"] = """{"token":"not-a-run-token"}""",
        ["script_set"] = """{"name":"fz-new","source":"true","description":"d"}""",
        ["script_get"] = """{"name":"fz"}""",
        ["script_delete"] = """{"name":"fz"}""",
        ["script_instance_set"] = """
            {"script_name":"fz","instance_name":"new","arguments":"a 'b c'","env":{"A":"1"},"working_dir":"/tmp","user":"root",
             "timeout_s":5,"stop_grace_s":1,"start_trigger":{"type":"xpath","setting":"/fz/x = 'a'"},
             "stop_trigger":{"type":"xpath","setting":"/fz/y"},
             "restart":{"on":"failure","delay_s":1,"max_delay_s":4,"max_restarts":2,"window_s":60},"overlap":"queue","catch_up":true,"enabled":true}
            """,
        ["script_instance_get"] = """{"script_name":"fz","instance_name":"main"}""",
        ["script_instance_enabled_set"] = """{"script_name":"fz","instance_name":"main","enabled":true}""",
        ["script_instance_delete"] = """{"script_name":"fz","instance_name":"main"}""",
        ["script_start"] = """{"script_name":"fz","instance_name":"main","arguments":"x"}""",
        ["script_stop"] = """{"script_name":"fz","instance_name":"main","force":true}""",
        ["script_execution_rerun"] = """{"execution_id":1}""",
        ["script_execution_get"] = """
            {"filter":{"exit_codes":[0],"include_outdated":true,"instances":[{"script_name":"fz","instance_names":["main"]}],
             "states":["finished"],"start_after":0,"start_before":9999999999,"trigger_types":["manual"],"usernames":["root"]},
             "pagination":{"limit":10,"id_exclusive":5}}
            """,
        ["script_execution_output_get"] = """{"filter":{"execution_id":1,"streams":["stdout"]},"pagination":{"limit":10,"id_exclusive":0}}""",
        ["script_execution_filter_options_get"] = """{"include_outdated":true}""",
        ["state_set"] = """{"xpath":"/fz/hostile","value":1}""",
        ["state_get"] = """{"xpath":"/fz/link"}""",
        ["execution_subscribe"] = """{"filter":{"instances":[{"script_name":"fz"}]},"output":true}""",
        ["execution_unsubscribe"] = """{"subscription_id":1}""",
    };

    /// <summary>Fields that take any JSON by contract, so a change of type is no mistake there.</summary>
    private static readonly HashSet<(string Method, string Field)> AnyJson = [("state_set", "value")];

    /// <summary>Text bounded only by the message size (which the over-size case covers), so a long one is no mistake.</summary>
    private static readonly HashSet<(string Method, string Field)> AnyLength = [("script_set", "source")];

    /// <summary>Longer than any string field takes (64 K characters), shorter than the message limit the suite sets.</summary>
    public const int HugeStringLength = 200_000;

    private static readonly JsonNode[] WrongTypes = [123456, true, "text", new JsonArray(), new JsonObject()];

    public static IEnumerable<HostileCase> For(string method)
    {
        var template = JsonNode.Parse(Templates[method])!.AsObject();

        // Whatever the method: params of the wrong type, an unknown field named with a NUL, nesting far too deep.
        foreach (var wrong in new JsonNode[] { "text", 42, true })
        {
            yield return new HostileCase(method, wrong.DeepClone(), $"params as {wrong.GetValueKind()}", "params");
        }

        yield return new HostileCase(method, With(template, "x\0y", 1), "unknown field with a NUL", "x\0y");
        yield return new HostileCase(method, With(template, "deep", Nested(500)), "unknown field nesting 500 levels", "deep");

        foreach (var (path, node, replace) in Locations(template, ""))
        {
            var kind = node?.GetValueKind() ?? JsonValueKind.Null;
            if (kind == JsonValueKind.String)
            {
                yield return new HostileCase(method, replace(node!.GetValue<string>() + "\0"), "NUL appended", path);
                if (!AnyLength.Contains((method, path)))
                {
                    yield return new HostileCase(method, replace(new string('h', HugeStringLength)), $"string of {HugeStringLength} characters", path);
                }
            }

            yield return new HostileCase(method, replace(Nested(45)), "nesting 45 levels", path);
            yield return new HostileCase(method, replace(Nested(500)), "nesting 500 levels", path);
            if (AnyJson.Contains((method, path)))
            {
                continue;
            }

            yield return new HostileCase(method, replace(Nested(20)), "nesting 20 levels", path);
            foreach (var wrong in WrongTypes.Where(w => w.GetValueKind() != kind))
            {
                yield return new HostileCase(method, replace(wrong.DeepClone()), $"{wrong.GetValueKind()} instead of {kind}", path);
            }
        }
    }

    /// <summary>The valid params of <paramref name="method"/> plus a field that takes the message just over <paramref name="maxMessageBytes"/>.</summary>
    public static string OversizeMessage(string method, int maxMessageBytes)
    {
        var parameters = JsonNode.Parse(Templates[method])!.AsObject();
        parameters["padding"] = new string('p', maxMessageBytes);
        return new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = method, ["params"] = parameters }.ToJsonString();
    }

    /// <summary>Every field at every depth: its dotted path as errors name it, its value, and a way to get params with it replaced.</summary>
    private static IEnumerable<(string Path, JsonNode? Node, Func<JsonNode, JsonNode> Replace)> Locations(JsonObject root, string prefix)
    {
        foreach (var (name, child) in root.ToList())
        {
            var path = prefix.Length == 0 ? name : $"{prefix}.{name}";
            foreach (var location in LocationsOf(root, path, child, (copy, value) => copy[name] = value))
            {
                yield return location;
            }
        }
    }

    private static IEnumerable<(string, JsonNode?, Func<JsonNode, JsonNode>)> LocationsOf(
        JsonObject root, string path, JsonNode? node, Action<JsonNode, JsonNode> set)
    {
        // Replace works on a copy of the whole params object, located again by the same path.
        yield return (path, node, value =>
        {
            var copy = root.Root.DeepClone();
            set(Find(copy, node!.GetPath()[..node.GetPath().LastIndexOfAny(['.', '['])]), value);
            return copy;
        });

        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj.ToList())
                {
                    foreach (var location in LocationsOf(root, $"{path}.{name}", child, (parent, value) => parent[name] = value))
                    {
                        yield return location;
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    var index = i;
                    foreach (var location in LocationsOf(root, $"{path}[{i}]", array[i], (parent, value) => parent[index] = value))
                    {
                        yield return location;
                    }
                }

                break;
        }
    }

    /// <summary>The node at a <see cref="JsonNode.GetPath"/> path (<c>$.a.b[0]</c>) in a copy.</summary>
    private static JsonNode Find(JsonNode root, string path)
    {
        var node = root;
        foreach (var step in path.TrimStart('$').Replace("[", ".[", StringComparison.Ordinal).Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            node = step.StartsWith('[') ? node[int.Parse(step[1..^1], System.Globalization.CultureInfo.InvariantCulture)]! : node[step]!;
        }

        return node;
    }

    private static JsonObject With(JsonObject template, string name, JsonNode value)
    {
        var copy = template.DeepClone().AsObject();
        copy[name] = value;
        return copy;
    }

    private static JsonNode Nested(int levels)
    {
        JsonNode node = 0;
        for (var i = 0; i < levels; i++)
        {
            node = new JsonArray(node);
        }

        return node;
    }
}
