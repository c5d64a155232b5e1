using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace ScriptExec.Rpc.Protocol;

/// <summary>One inbound request or notification that passed the JSON-RPC 2.0 shape rules.</summary>
internal readonly struct InboundRequest
{
    private InboundRequest(string method, JsonElement? parameters, byte[]? rawId)
    {
        Method = method;
        Params = parameters;
        RawId = rawId;
    }

    /// <summary>Gets the method name.</summary>
    public string Method { get; }

    /// <summary>Gets the <c>params</c> member (an object or array), if present.</summary>
    public JsonElement? Params { get; }

    /// <summary>Gets the <c>id</c> exactly as the client wrote it, or null for a notification (no <c>id</c> member).</summary>
    public byte[]? RawId { get; }

    public bool IsNotification => RawId is null;

    /// <summary>
    /// Checks one message or batch member; on failure <paramref name="rawIdForError"/> holds the id to echo in the
    /// <c>-32600</c> reply when the member had a valid one, else null.
    /// </summary>
    public static bool TryParse(JsonElement element, out InboundRequest request, out byte[]? rawIdForError)
    {
        request = default;
        rawIdForError = null;
        try
        {
            return TryParseObject(element, out request, ref rawIdForError);
        }
        catch (InvalidOperationException)
        {
            // An escaped lone surrogate ("\ud800") is valid JSON, but System.Text.Json throws when it compares one,
            // in a member name ("para\ud800ms") or in the version: neither can be part of a valid request.
            request = default;
            return false;
        }
    }

    private static bool TryParseObject(JsonElement element, out InboundRequest request, ref byte[]? rawIdForError)
    {
        request = default;
        if (element.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        byte[]? rawId = null;
        if (element.TryGetProperty("id"u8, out JsonElement id))
        {
            if (id.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null))
            {
                return false;
            }

            // Kept as the client's own bytes so that 1.50, 1e3 or a 30-digit number come back unchanged.
            rawId = JsonMarshal.GetRawUtf8Value(id).ToArray();
        }

        rawIdForError = rawId;
        if (!element.TryGetProperty("jsonrpc"u8, out JsonElement version)
            || version.ValueKind != JsonValueKind.String
            || !version.ValueEquals("2.0"u8))
        {
            return false;
        }

        // A response object (result/error, no method) lands here too: clients may not send responses to us.
        if (!element.TryGetProperty("method"u8, out JsonElement methodElement)
            || methodElement.ValueKind != JsonValueKind.String
            || !TryGetString(methodElement, out string? method))
        {
            return false;
        }

        JsonElement? parameters = null;
        if (element.TryGetProperty("params"u8, out JsonElement p))
        {
            if (p.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array))
            {
                return false;
            }

            parameters = p;
        }

        request = new InboundRequest(method, parameters, rawId);
        rawIdForError = null;
        return true;
    }

    /// <summary>
    /// Brings by-position params into the one by-name object every method of this API takes: absent or <c>[]</c>
    /// become <c>{}</c> (null here), <c>[{...}]</c> becomes its object; any other array is refused.
    /// </summary>
    public static bool TryNormalizeParams(JsonElement? parameters, out JsonElement? named)
    {
        named = null;
        if (parameters is not { } p)
        {
            return true;
        }

        if (p.ValueKind == JsonValueKind.Object)
        {
            named = p;
            return true;
        }

        int length = p.GetArrayLength();
        if (length == 0)
        {
            return true;
        }

        if (length == 1 && p[0].ValueKind == JsonValueKind.Object)
        {
            named = p[0];
            return true;
        }

        return false;
    }

    /// <summary>
    /// True when a string or member name in <paramref name="parameters"/> escapes a lone surrogate (<c>"\ud800"</c>):
    /// valid JSON, but no text a method could take, and System.Text.Json throws on reading it.
    /// </summary>
    public static bool HasUnpairedSurrogate(JsonElement parameters)
    {
        ReadOnlySpan<byte> raw = JsonMarshal.GetRawUtf8Value(parameters);
        if (raw.IndexOf("\\u"u8) < 0)
        {
            return false;
        }

        var reader = new Utf8JsonReader(raw);
        while (reader.Read())
        {
            if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped)
            {
                try
                {
                    _ = reader.GetString();
                }
                catch (InvalidOperationException)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Writes the request as StreamJsonRpc will see it: our internal id, the method, and the given params.</summary>
    /// <param name="internalId">The id StreamJsonRpc answers to, or null for a notification.</param>
    /// <param name="parameters">The params to pass on; when null, <c>{}</c> if <paramref name="emptyObjectWhenNone"/>, else none.</param>
    public byte[] Rewrite(long? internalId, JsonElement? parameters, bool emptyObjectWhenNone)
    {
        var output = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            writer.WriteString("jsonrpc"u8, "2.0"u8);
            if (internalId is { } id)
            {
                writer.WriteNumber("id"u8, id);
            }

            writer.WriteString("method"u8, Method);
            if (parameters is { } p)
            {
                // The client's own bytes (already parsed, and valid UTF-8): WriteTo would re-encode every string and
                // throws on an escaped lone surrogate ("\ud800"), which is valid JSON all the same.
                writer.WritePropertyName("params"u8);
                writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(p), skipInputValidation: true);
            }
            else if (emptyObjectWhenNone)
            {
                writer.WriteStartObject("params"u8);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return output.WrittenSpan.ToArray();
    }

    // Valid JSON may escape a lone surrogate ("\ud800"), which System.Text.Json refuses to decode.
    private static bool TryGetString(JsonElement element, [NotNullWhen(true)] out string? value)
    {
        try
        {
            value = element.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            value = null;
            return false;
        }
    }
}
