using System.Text.Json;

namespace ScriptExec.Cli.Connection;

/// <summary>
/// Reads the members of one JSON object of a reply by hand, for the replies a CLI call reads most (<c>status</c>):
/// building the serializer's metadata for a record tree costs a one-shot process about as much as the call itself.
/// Read as the serializer would: a member missing or null is the default, one of another kind is a
/// <see cref="ProtocolException"/> naming it.
/// </summary>
internal readonly struct WireFields
{
    private readonly JsonElement _element;
    private readonly string _path;

    private WireFields(JsonElement element, string path)
    {
        _element = element;
        _path = path;
    }

    /// <summary>The object <paramref name="element"/>, the result of <paramref name="what"/>.</summary>
    public static WireFields Of(JsonElement element, string what) =>
        element.ValueKind == JsonValueKind.Object ? new WireFields(element, what)
        : throw new ProtocolException($"{what}: unexpected result shape: {element.ValueKind} where an object was expected");

    public string? String(string name) => Value(name, JsonValueKind.String) is { } v ? v.GetString() : null;

    public long Long(string name) => NullableLong(name) ?? 0;

    public long? NullableLong(string name) => Value(name, JsonValueKind.Number) switch
    {
        null => null,
        { } v when v.TryGetInt64(out var n) => n,
        _ => throw Mismatch(name, "an integer"),
    };

    public int Int(string name) => NullableInt(name) ?? 0;

    public int? NullableInt(string name) => Value(name, JsonValueKind.Number) switch
    {
        null => null,
        { } v when v.TryGetInt32(out var n) => n,
        _ => throw Mismatch(name, "a 32-bit integer"),
    };

    public double Double(string name) => Value(name, JsonValueKind.Number)?.GetDouble() ?? 0;

    public bool Bool(string name, bool missing) => Value(name, JsonValueKind.True) is { } v ? v.GetBoolean() : missing;

    /// <summary>The member <paramref name="name"/> as an object; an empty one when missing or null.</summary>
    public WireFields Object(string name) => Value(name, JsonValueKind.Object) is { } v
        ? new WireFields(v, $"{_path}.{name}")
        : new WireFields(default, $"{_path}.{name}");

    /// <summary>The objects of the array member <paramref name="name"/>; none when missing or null.</summary>
    public IEnumerable<WireFields> Array(string name)
    {
        if (Value(name, JsonValueKind.Array) is not { } array)
        {
            yield break;
        }

        var index = 0;
        foreach (var item in array.EnumerateArray())
        {
            yield return Of(item, $"{_path}.{name}[{index++}]");
        }
    }

    /// <summary>The member, null when missing or null; a mismatch when of another kind (true and false both count as boolean).</summary>
    private JsonElement? Value(string name, JsonValueKind kind)
    {
        if (_element.ValueKind != JsonValueKind.Object || !_element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var matches = value.ValueKind == kind || (kind == JsonValueKind.True && value.ValueKind == JsonValueKind.False);
        return matches ? value : throw Mismatch(name, kind switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True => "a boolean",
            JsonValueKind.Object => "an object",
            _ => "an array",
        });
    }

    private ProtocolException Mismatch(string name, string expected) =>
        new($"{_path}: unexpected result shape: '{name}' is not {expected}");
}
