using System.Text.Json;
using ScriptExec.Core;

namespace ScriptExec.Rpc.Methods;

/// <summary>
/// Reads one params object field by field, naming the dotted path of whatever is wrong
/// (<c>pagination.limit</c>, <c>filter.instances[1].script_name</c>), and rejects fields nobody asked for.
/// A field given as JSON null counts as omitted.
/// </summary>
internal sealed class ParamsReader
{
    private readonly JsonElement _object;
    private readonly string _path;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    private ParamsReader(JsonElement obj, string path)
    {
        _object = obj;
        _path = path;
    }

    public static ParamsReader Of(JsonElement element, string path = "params")
    {
        if (element.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return new ParamsReader(JsonDocument.Parse("{}").RootElement, "");
        }

        return element.ValueKind == JsonValueKind.Object
            ? new ParamsReader(element, path == "params" ? "" : path)
            : throw new InvalidParameterException(path, "must be an object");
    }

    public string PathOf(string name) => _path.Length == 0 ? name : _path + "." + name;

    /// <summary>
    /// Characters in one string field unless the field says otherwise: far above any name, path or setting, and
    /// below what exec takes as one argument (128 KiB), so a string accepted here never fails a spawn by its size.
    /// </summary>
    public const int MaxStringLength = 64 * 1024;

    public string RequiredString(string name, int maxLength = MaxStringLength) =>
        OptionalString(name, maxLength) ?? throw new InvalidParameterException(PathOf(name), "is required");

    public string? OptionalString(string name, int maxLength = MaxStringLength)
    {
        if (!TryGet(name, out var value))
        {
            return null;
        }

        return ReadString(value, PathOf(name), maxLength);
    }

    /// <summary>A script or instance name: <c>[-a-zA-Z0-9._]{1,100}</c>.</summary>
    public string RequiredName(string name)
    {
        var value = RequiredString(name);
        return Names.IsValid(value) ? value : throw new InvalidParameterException(PathOf(name), Names.Rule);
    }

    public bool? OptionalBool(string name)
    {
        if (!TryGet(name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new InvalidParameterException(PathOf(name), "must be true or false"),
        };
    }

    public long? OptionalInteger(string name, long min, long max, string? rule = null)
    {
        if (!TryGet(name, out var value))
        {
            return null;
        }

        return ReadInteger(value, PathOf(name), min, max, rule);
    }

    public long RequiredInteger(string name, long min, long max, string? rule = null) =>
        OptionalInteger(name, min, max, rule) ?? throw new InvalidParameterException(PathOf(name), "is required");

    public ParamsReader? OptionalObject(string name) =>
        TryGet(name, out var value) ? Of(value, PathOf(name)) : null;

    public ParamsReader RequiredObject(string name) =>
        OptionalObject(name) ?? throw new InvalidParameterException(PathOf(name), "is required");

    /// <summary>An optional array; <paramref name="item"/> reads each element given its path (<c>field[i]</c>).</summary>
    public IReadOnlyList<T>? OptionalArray<T>(string name, Func<JsonElement, string, T> item, int maxItems = 1000)
    {
        if (!TryGet(name, out var value))
        {
            return null;
        }

        var path = PathOf(name);
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidParameterException(path, "must be an array");
        }

        if (value.GetArrayLength() > maxItems)
        {
            throw new InvalidParameterException(path, $"must have at most {maxItems} items");
        }

        var result = new List<T>(value.GetArrayLength());
        var i = 0;
        foreach (var element in value.EnumerateArray())
        {
            result.Add(item(element, $"{path}[{i++}]"));
        }

        return result;
    }

    /// <summary>The raw element of an optional field (for values of any JSON type).</summary>
    public JsonElement? OptionalRaw(string name) => TryGet(name, out var value) ? value : null;

    /// <summary>Rejects every field that was not read: unknown params are an error, not silently ignored.</summary>
    public void End()
    {
        foreach (var property in _object.EnumerateObject())
        {
            if (!_read.Contains(property.Name))
            {
                throw new InvalidParameterException(PathOf(property.Name), "is not a known field");
            }
        }
    }

    public static long ReadInteger(JsonElement value, string path, long min, long max, string? rule = null)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number))
        {
            throw new InvalidParameterException(path, rule ?? "must be an integer");
        }

        return number >= min && number <= max
            ? number
            : throw new InvalidParameterException(path, rule ?? $"must be between {min} and {max}");
    }

    /// <summary>
    /// A string field. NUL is refused in every one: no field has a use for it, and one that reaches a C string (an
    /// argument, an environment entry, a path, a user name) would be cut short there or fail the spawn.
    /// </summary>
    public static string ReadString(JsonElement value, string path) => ReadString(value, path, MaxStringLength);

    public static string ReadString(JsonElement value, string path, int maxLength)
    {
        var text = value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new InvalidParameterException(path, "must be a string");
        if (text.Length > maxLength)
        {
            throw new InvalidParameterException(path, $"must be at most {maxLength} characters long");
        }

        return text.Contains('\0', StringComparison.Ordinal) ? throw new InvalidParameterException(path, NoNul) : text;
    }

    public const string NoNul = "must not contain NUL characters";

    private bool TryGet(string name, out JsonElement value)
    {
        _read.Add(name);
        return _object.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;
    }
}
