using System.Buffers;
using System.Text.Json;
using StreamJsonRpc.Protocol;

namespace ScriptExec.Rpc.Protocol;

/// <summary>Adjusts the responses StreamJsonRpc writes before they go on the wire.</summary>
internal static class OutboundResponses
{
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
