using System.Buffers;
using System.Text.Json;
using StreamJsonRpc.Protocol;

namespace ScriptExec.Rpc.Protocol;

/// <summary>Adjusts the responses StreamJsonRpc writes before they go on the wire.</summary>
internal static class OutboundResponses
{
    /// <summary>
    /// Writes a result as StreamJsonRpc's formatter does (<c>{"jsonrpc":"2.0","id":N,"result":...}</c>, the result
    /// serialized by its declared type), but with the shared <see cref="RpcJson.Options"/>. The formatter's options
    /// are a copy per connection (it adds converters bound to itself), so each new connection built the serializer's
    /// metadata for every type of its first replies again: about 3.7 of the 4.2 ms a <c>status</c> on a fresh
    /// connection took, which every CLI call pays. API results are plain records: none needs those converters
    /// (progress, streams, marshaled objects). False when the formatter must write it (a version other than 2.0).
    /// </summary>
    public static bool TryWriteResult(IBufferWriter<byte> buffer, JsonRpcResult result, long id)
    {
        if (result.Version != "2.0")
        {
            return false;
        }

        using var writer = new Utf8JsonWriter(buffer);
        try
        {
            writer.WriteStartObject();
            writer.WriteString("jsonrpc"u8, "2.0"u8);
            writer.WriteNumber("id"u8, id);
            writer.WritePropertyName("result"u8);
            if (result.Result is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                var type = result.ResultDeclaredType ?? typeof(object);
                JsonSerializer.Serialize(writer, result.Result, RpcJson.Options.GetTypeInfo(type));
            }

            writer.WriteEndObject();
        }
        catch (Exception e) when (e is not JsonException)
        {
            // As the formatter reports it: StreamJsonRpc then answers the same id with a serialization error.
            throw new JsonException("The result could not be serialized.", e);
        }

        return true;
    }

    /// <summary>
    /// Replaces what StreamJsonRpc says on its own (method lookup, argument binding, serialization failures) with
    /// the plain JSON-RPC wording; its own texts and <see cref="CommonErrorData"/> can carry type names and stack traces.
    /// </summary>
    public static void Sanitize(JsonRpcError.ErrorDetail error)
    {
        switch (error.Code)
        {
            case JsonRpcErrorCode.MethodNotFound:
                error.Message = RpcErrorCodes.MethodNotFoundMessage;
                error.Data = null;
                break;
            case JsonRpcErrorCode.InvalidParams when error.Data is not RpcErrorData:
                error.Message = RpcErrorCodes.InvalidParamsMessage;
                error.Data = new RpcErrorData("params", "do not match the method's parameters");
                break;
            case JsonRpcErrorCode.ResponseSerializationFailure:
                error.Code = JsonRpcErrorCode.InternalError;
                error.Message = RpcErrorCodes.InternalErrorMessage;
                error.Data = null;
                break;
            default:
                if (error.Data is CommonErrorData or Exception)
                {
                    error.Data = null;
                }

                break;
        }
    }

    /// <summary>Returns <paramref name="json"/> with the value of its top-level <c>id</c> replaced by <paramref name="rawId"/>.</summary>
    public static byte[] SpliceId(ReadOnlySpan<byte> json, ReadOnlySpan<byte> rawId)
    {
        var (start, end) = IdValueRange(json);
        var spliced = new byte[json.Length - (end - start) + rawId.Length];
        json[..start].CopyTo(spliced);
        rawId.CopyTo(spliced.AsSpan(start));
        json[end..].CopyTo(spliced.AsSpan(start + rawId.Length));
        return spliced;
    }

    /// <summary>Writes <paramref name="json"/> to <paramref name="output"/> with the value of its top-level <c>id</c> replaced by <paramref name="rawId"/>.</summary>
    public static void SpliceId(ReadOnlySpan<byte> json, ReadOnlySpan<byte> rawId, IBufferWriter<byte> output)
    {
        var (start, end) = IdValueRange(json);
        output.Write(json[..start]);
        output.Write(rawId);
        output.Write(json[end..]);
    }

    /// <summary>Where the value of the top-level <c>id</c> of <paramref name="json"/> starts and ends.</summary>
    private static (int Start, int End) IdValueRange(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1)
            {
                continue;
            }

            bool isId = reader.ValueTextEquals("id"u8);
            reader.Read();
            if (!isId)
            {
                reader.Skip();
                continue;
            }

            return ((int)reader.TokenStartIndex, (int)reader.BytesConsumed);
        }

        throw new InvalidOperationException("The serialized response has no top-level id.");
    }
}
