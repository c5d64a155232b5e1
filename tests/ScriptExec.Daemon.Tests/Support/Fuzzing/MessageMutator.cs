using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ScriptExec.Daemon.Tests.Support.Fuzzing;

/// <summary>
/// Turns valid JSON-RPC messages into junk, reproducibly from one seed: bit flips, truncation, duplication, splices
/// of two messages, inserted JSON values (huge numbers, deep nesting, odd Unicode, NUL), JSON-aware replacements
/// and batches, and plain random bytes.
/// </summary>
public sealed class MessageMutator
{
    private const int MaxInputBytes = 64 * 1024;

    private static readonly string[] Tokens =
    [
        "{", "}", "[", "]", ":", ",", "\"", "\\", "\\u", "\\ud800", "\\udfff", "\\u0000", "null", "true", "-", "0", "1e999",
        "-0", ".5", "NaN", "Infinity", "\"jsonrpc\"", "\"2.0\"", "\"id\"", "\"method\"", "\"params\"", "\r", "\n", " ", "\t",
    ];

    private static readonly byte[][] RawBytes =
    [
        [0x00], [0xFF], [0xFE], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80], [0xEF, 0xBB, 0xBF],
    ];

    private static readonly string[] Numbers =
    [
        "0", "-1", "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808", "18446744073709551616",
        "123456789012345678901234567890123456789012345678901234567890", "1e400", "-1e400", "1e-400", "1.7976931348623157e309",
        "4.9e-324", "0.000000000000000000000000000001", "1E+2", "-0.0", "1.0",
    ];

    private static readonly string[] Strings =
    [
        "", "a", "fz", "main", "/fz/link", "\u00e9t\u00e9", "\U0001F600", "\u202Eevil", "\u0000", "\uFFFF", "\\", "\"", "../../etc/passwd",
        "* * * * *", "/", "a b 'c", "  ", "\t\r\n",
    ];

    // Non-ASCII stays raw UTF-8 instead of \u escapes, and deep values may be written back out.
    private static readonly JsonSerializerOptions RawUnicode = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        MaxDepth = 5000,
    };

    private readonly Random _random;
    private readonly byte[][] _corpus;

    public MessageMutator(Random random, IEnumerable<string> corpus)
    {
        _random = random;
        _corpus = [.. corpus.Select(Encoding.UTF8.GetBytes)];
    }

    /// <summary>The next input: a few in a hundred are left valid, the rest mutated one way or several.</summary>
    public byte[] Next()
    {
        int roll = _random.Next(100);
        byte[] input = roll switch
        {
            < 8 => Pick(),
            < 12 => RandomBytes(_random.Next(1, 512)),
            < 35 => StructuralMutation(),
            _ => ByteMutations(Pick(), 1 + _random.Next(3)),
        };
        return input.Length <= MaxInputBytes ? input : input[..MaxInputBytes];
    }

    private byte[] Pick() => _corpus[_random.Next(_corpus.Length)];

    private byte[] ByteMutations(byte[] input, int count)
    {
        for (int i = 0; i < count; i++)
        {
            input = _random.Next(10) switch
            {
                0 => FlipBits(input),
                1 => ReplaceByte(input),
                2 => input[..(input.Length == 0 ? 0 : _random.Next(input.Length))],
                3 => DuplicateSlice(input),
                4 => Splice(input, Pick()),
                5 => Insert(input, Encoding.UTF8.GetBytes(RandomValue(depth: 0))),
                6 => DeleteSlice(input),
                7 => Insert(input, Encoding.UTF8.GetBytes(Tokens[_random.Next(Tokens.Length)])),
                8 => Insert(input, RawBytes[_random.Next(RawBytes.Length)]),
                _ => Insert(input, Encoding.UTF8.GetBytes(DeepNesting())),
            };
        }

        return input;
    }

    private byte[] FlipBits(byte[] input)
    {
        if (input.Length == 0)
        {
            return input;
        }

        byte[] copy = [.. input];
        for (int i = 1 + _random.Next(4); i > 0; i--)
        {
            copy[_random.Next(copy.Length)] ^= (byte)(1 << _random.Next(8));
        }

        return copy;
    }

    private byte[] ReplaceByte(byte[] input)
    {
        if (input.Length == 0)
        {
            return input;
        }

        byte[] copy = [.. input];
        copy[_random.Next(copy.Length)] = (byte)_random.Next(256);
        return copy;
    }

    private byte[] DuplicateSlice(byte[] input)
    {
        (int start, int length) = Slice(input.Length);
        return Insert(input, input.AsSpan(start, length).ToArray());
    }

    private byte[] DeleteSlice(byte[] input)
    {
        (int start, int length) = Slice(input.Length);
        return [.. input.AsSpan(0, start), .. input.AsSpan(start + length)];
    }

    private byte[] Splice(byte[] first, byte[] second)
    {
        int cut = first.Length == 0 ? 0 : _random.Next(first.Length);
        int from = second.Length == 0 ? 0 : _random.Next(second.Length);
        return [.. first.AsSpan(0, cut), .. second.AsSpan(from)];
    }

    private byte[] Insert(byte[] input, byte[] inserted)
    {
        int at = _random.Next(input.Length + 1);
        return [.. input.AsSpan(0, at), .. inserted, .. input.AsSpan(at)];
    }

    private (int Start, int Length) Slice(int total)
    {
        if (total == 0)
        {
            return (0, 0);
        }

        int start = _random.Next(total);
        return (start, _random.Next(total - start + 1));
    }

    private byte[] RandomBytes(int length)
    {
        byte[] bytes = new byte[length];
        _random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Valid JSON, wrong content: a node replaced, removed or renamed, a batch built, members duplicated.</summary>
    private byte[] StructuralMutation()
    {
        try
        {
            return TryStructuralMutation();
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // JsonNode refuses what the corpus has on purpose (a member twice, a lone surrogate escape): mutate bytes.
            return ByteMutations(Pick(), 1);
        }
    }

    private byte[] TryStructuralMutation()
    {
        JsonNode? root = JsonNode.Parse(Pick());
        switch (_random.Next(6))
        {
            case 0:
                return Encoding.UTF8.GetBytes(Batch());
            case 1 when root is JsonObject message:
                // The same member twice: which one wins is the parser's business, but it must not break anything.
                string json = message.ToJsonString();
                string name = message.Select(p => p.Key).ElementAt(_random.Next(message.Count));
                return Encoding.UTF8.GetBytes(json[..^1] + $",\"{name}\":{RandomValue(depth: 0)}}}");
            default:
                var nodes = new List<JsonNode>();
                Collect(root, nodes);
                JsonNode target = nodes[_random.Next(nodes.Count)];
                if (target.Parent is null)
                {
                    return Encoding.UTF8.GetBytes(RandomValue(depth: 0));
                }

                Replace(target);
                return Encoding.UTF8.GetBytes(root!.ToJsonString(RawUnicode));
        }
    }

    private void Replace(JsonNode target)
    {
        JsonNode? replacement = ParseValue(RandomValue(depth: 0));
        switch (target.Parent)
        {
            case JsonObject parent:
                string key = target.GetPropertyName();
                int action = _random.Next(3);
                parent.Remove(key);
                if (action == 1)
                {
                    parent[key] = replacement;
                }
                else if (action == 2)
                {
                    parent[key + (char)('a' + _random.Next(26))] = replacement;
                }

                break;
            case JsonArray array:
                array[target.GetElementIndex()] = replacement;
                break;
        }
    }

    private static JsonNode? ParseValue(string json)
    {
        try
        {
            return JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 4096 });
        }
        catch (JsonException)
        {
            return JsonValue.Create(json);
        }
    }

    private string Batch()
    {
        int count = _random.Next(1, 25);
        var members = new List<string>(count);
        for (int i = 0; i < count; i++)
        {
            members.Add(_random.Next(4) == 0 ? RandomValue(depth: 0) : Encoding.UTF8.GetString(Pick()));
        }

        return "[" + string.Join(",", members) + "]";
    }

    private string RandomValue(int depth)
    {
        int kind = _random.Next(depth > 3 ? 5 : 9);
        return kind switch
        {
            0 => "null",
            1 => _random.Next(2) == 0 ? "true" : "false",
            2 => Numbers[_random.Next(Numbers.Length)],
            3 => _random.Next(-1000, 1000).ToString(System.Globalization.CultureInfo.InvariantCulture),
            4 => _random.Next(3) == 0
                ? $"\"{new string('x', _random.Next(1, 5000))}\""
                : JsonSerializer.Serialize(Strings[_random.Next(Strings.Length)], RawUnicode),
            5 => "[" + string.Join(",", Enumerable.Range(0, _random.Next(4)).Select(_ => RandomValue(depth + 1))) + "]",
            6 => "{" + string.Join(",", Enumerable.Range(0, _random.Next(4)).Select(i => $"\"k{i}\":{RandomValue(depth + 1)}")) + "}",
            7 => DeepNesting(),
            _ => "\"\\ud800\\u0000\\uDFFF\"",
        };
    }

    private string DeepNesting()
    {
        int depth = _random.Next(4) switch
        {
            0 => _random.Next(1, 60),
            1 => _random.Next(60, 70),
            2 => _random.Next(70, 1000),
            _ => _random.Next(1000, 10_000),
        };
        return _random.Next(2) == 0
            ? new string('[', depth) + new string(']', depth)
            : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
    }

    private static void Collect(JsonNode? node, List<JsonNode> nodes)
    {
        if (node is null)
        {
            return;
        }

        nodes.Add(node);
        switch (node)
        {
            case JsonObject o:
                foreach (KeyValuePair<string, JsonNode?> member in o)
                {
                    Collect(member.Value, nodes);
                }

                break;
            case JsonArray a:
                foreach (JsonNode? item in a)
                {
                    Collect(item, nodes);
                }

                break;
        }
    }
}
