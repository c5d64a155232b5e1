using System.Text.Json.Nodes;

namespace ScriptExec.Core.Triggers;

/// <summary>
/// The state tree: one JSON document addressed by slash paths, written by the device's other components
/// (<c>state_set</c>) and watched by xpath triggers. Not thread-safe: its owner serializes access.
/// </summary>
public sealed class StateTree
{
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

    public static StateTree FromJson(string? json) =>
        new(json is null ? null : JsonNode.Parse(json) as JsonObject);
}
