using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ScriptExec.Core.Triggers;

/// <summary>
/// The state tree: one JSON document addressed by slash paths, written by the device's other components
/// (<c>state_set</c>) and watched by xpath triggers. Not thread-safe: its owner serializes access.
/// </summary>
public sealed class StateTree
{
    /// <summary>
    /// Path segments plus value nesting of any one write. The stored document nests one level more (its root), and a
    /// <c>state_get</c> of the root two more inside the reply: all stay well under the 64 levels JSON readers accept
    /// by default, so what a client writes always loads again at the next start.
    /// </summary>
    public const int MaxDepth = 48;

    /// <summary>The UTF-8 size of one value written by <c>state_set</c>.</summary>
    public const int MaxValueBytes = 256 * 1024;

    /// <summary>The UTF-8 size of the whole document, which is rewritten on every change.</summary>
    public const int MaxDocumentBytes = 4 * 1024 * 1024;

    // Reading is more lenient than writing: a tree an older daemon accepted (up to 512 segments) must still load,
    // so its deep branches can be set aside rather than the whole document.
    private const int ReadMaxDepth = 1024;

    private JsonObject _root;

    public StateTree(JsonObject? root = null)
    {
        _root = root ?? [];
    }

    /// <summary>The node at <paramref name="path"/>, or null when there is none.</summary>
    public JsonNode? Get(StatePath path)
    {
        JsonNode? node = _root;
        foreach (var segment in path.Segments)
        {
            node = node is JsonObject obj && obj.TryGetPropertyValue(segment, out var child) ? child : null;
            if (node is null)
            {
                return null;
            }
        }

        return node;
    }

    /// <summary>
    /// Sets the node at <paramref name="path"/> (creating missing parents), or deletes it when
    /// <paramref name="value"/> is null. A parent that exists but is not an object is an error rather than
    /// silently replaced, so no sibling data is lost.
    /// </summary>
    public void Set(StatePath path, JsonNode? value)
    {
        if (path.Segments.Count == 0)
        {
            _root = value switch
            {
                null => [],
                JsonObject obj => obj,
                _ => throw new InvalidOperationException("the root of the state tree must be an object"),
            };
            return;
        }

        var parent = _root;
        for (var i = 0; i < path.Segments.Count - 1; i++)
        {
            var segment = path.Segments[i];
            if (!parent.TryGetPropertyValue(segment, out var child) || child is null)
            {
                if (value is null)
                {
                    return;
                }

                child = new JsonObject();
                parent[segment] = child;
            }

            parent = child as JsonObject
                ?? throw new InvalidOperationException($"/{string.Join('/', path.Segments.Take(i + 1))} holds a value, not an object");
        }

        if (value is null)
        {
            parent.Remove(path.Segments[^1]);
        }
        else
        {
            parent[path.Segments[^1]] = value;
        }
    }

    public string ToJson() => _root.ToJsonString();

    /// <summary>How many object or array levels <paramref name="node"/> nests (a scalar: 0, <c>{}</c>: 1).</summary>
    public static int DepthOf(JsonNode? node) => node switch
    {
        JsonObject obj => 1 + obj.Select(p => DepthOf(p.Value)).DefaultIfEmpty(0).Max(),
        JsonArray array => 1 + array.Select(DepthOf).DefaultIfEmpty(0).Max(),
        _ => 0,
    };

    /// <summary>The same measure as <see cref="DepthOf(JsonNode?)"/>, on a parsed element.</summary>
    public static int DepthOf(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => 1 + element.EnumerateObject().Select(p => DepthOf(p.Value)).DefaultIfEmpty(0).Max(),
        JsonValueKind.Array => 1 + element.EnumerateArray().Select(DepthOf).DefaultIfEmpty(0).Max(),
        _ => 0,
    };

    /// <summary>Why a write of a value nesting <paramref name="valueDepth"/> levels at <paramref name="path"/> is refused, or null.</summary>
    public static string? DepthProblem(StatePath path, int valueDepth) =>
        path.Segments.Count + valueDepth <= MaxDepth
            ? null
            : $"nests {valueDepth} levels below an xpath of {path.Segments.Count} segments; "
              + $"path segments plus value nesting must be at most {MaxDepth}";

    public static int ByteCount(string json) => Encoding.UTF8.GetByteCount(json);

    /// <summary>A document as strictly as it was written; throws on anything <see cref="Load"/> would have to set aside.</summary>
    public static StateTree FromJson(string? json)
    {
        var tree = Load(json, out var problems);
        return problems.Count == 0 ? tree : throw new FormatException($"{problems[0].Xpath}: {problems[0].Reason}");
    }

    /// <summary>
    /// Loads a stored document as far as it can: an unparseable document or one that is not an object gives an
    /// empty tree, a branch nesting beyond <see cref="MaxDepth"/> is left out. Each is named in
    /// <paramref name="problems"/> so the caller can keep the original and report it.
    /// </summary>
    public static StateTree Load(string? json, out IReadOnlyList<StateTreeProblem> problems)
    {
        var found = new List<StateTreeProblem>();
        problems = found;
        if (json is null)
        {
            return new StateTree();
        }

        JsonNode? document;
        try
        {
            document = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = ReadMaxDepth });
        }
        catch (JsonException e)
        {
            found.Add(new StateTreeProblem("/", "the stored document is not parseable JSON: " + e.Message));
            return new StateTree();
        }

        if (document is not JsonObject root)
        {
            found.Add(new StateTreeProblem("/", "the stored document is not a JSON object"));
            return new StateTree();
        }

        Prune(root, "", 0, found);
        return new StateTree(root);
    }

    private static void Prune(JsonObject parent, string path, int segments, List<StateTreeProblem> problems)
    {
        foreach (var (key, child) in parent.ToList())
        {
            var childPath = path + "/" + key;
            var depth = segments + 1 + DepthOf(child);
            if (depth <= MaxDepth)
            {
                continue;
            }

            if (child is JsonObject obj && segments + 1 < MaxDepth)
            {
                Prune(obj, childPath, segments + 1, problems);
                continue;
            }

            parent.Remove(key);
            problems.Add(new StateTreeProblem(
                childPath, $"nests {depth} levels (path segments plus value nesting), over the limit of {MaxDepth}"));
        }
    }
}

/// <summary>A part of a stored state tree that could not be loaded, and why.</summary>
public sealed record StateTreeProblem(string Xpath, string Reason);
