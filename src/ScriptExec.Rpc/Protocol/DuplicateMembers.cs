using System.Text;
using System.Text.Json;

namespace ScriptExec.Rpc.Protocol;

/// <summary>
/// Finds a member name written twice in one JSON object. Such a message means two things at once (System.Text.Json
/// would keep the last: <c>"method":"status","method":"script_delete"</c> deleted), so it is refused: <c>-32600</c>
/// for the request object itself, <c>-32602</c> naming the field for an object inside <c>params</c>, at any depth.
/// </summary>
/// <remarks>
/// Messages are first parsed with duplicates disallowed, which costs the parser a check per member; only a message
/// that fails it is parsed again and searched here, member by member, to say which one and where.
/// </remarks>
internal static class DuplicateMembers
{
    /// <summary>The first member name <paramref name="element"/> (an object) has twice, or null.</summary>
    public static string? InObject(JsonElement element)
    {
        try
        {
            return FirstDuplicate(element);
        }
        catch (InvalidOperationException)
        {
            // A name escaping a lone surrogate cannot be decoded: refused for that reason, by the request checks.
            return null;
        }
    }

    /// <summary>
    /// The path of the first duplicated member inside <paramref name="value"/> (<c>filter.instances</c>, <c>[0].name</c>),
    /// or null when there is none.
    /// </summary>
    public static string? Path(JsonElement value)
    {
        var path = new StringBuilder();
        try
        {
            return Find(value, path) ? path.ToString() : null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static string? FirstDuplicate(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        HashSet<string>? names = null;
        string? first = null;
        foreach (JsonProperty member in element.EnumerateObject())
        {
            string name = member.Name;
            if (first is null)
            {
                first = name;
                continue;
            }

            names ??= new HashSet<string>(StringComparer.Ordinal) { first };
            if (!names.Add(name))
            {
                return name;
            }
        }

        return null;
    }

    private static bool Find(JsonElement value, StringBuilder path)
    {
        int length = path.Length;
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                if (FirstDuplicate(value) is { } duplicate)
                {
                    Append(path, duplicate);
                    return true;
                }

                foreach (JsonProperty member in value.EnumerateObject())
                {
                    Append(path, member.Name);
                    if (Find(member.Value, path))
                    {
                        return true;
                    }

                    path.Length = length;
                }

                return false;

            case JsonValueKind.Array:
                int index = 0;
                foreach (JsonElement item in value.EnumerateArray())
                {
                    path.Append('[').Append(index++).Append(']');
                    if (Find(item, path))
                    {
                        return true;
                    }

                    path.Length = length;
                }

                return false;

            default:
                return false;
        }
    }

    private static void Append(StringBuilder path, string name)
    {
        if (path.Length > 0)
        {
            path.Append('.');
        }

        path.Append(name);
    }
}
