using System.Buffers;
using System.Text.Json;

namespace ScriptExec.Rpc.Protocol;

/// <summary>Builds the error responses the front layer answers itself, before anything reaches StreamJsonRpc.</summary>
internal static class ErrorReplies
{
    public static readonly RpcErrorData ParamsNotNamed = new("params", "must be an object of named parameters");

    public static readonly RpcErrorData ParamsNotUnicode = new("params", "must not contain unpaired surrogate escapes such as \\ud800");

    /// <summary>Builds one error response; an empty <paramref name="rawId"/> means <c>"id": null</c>.</summary>
    public static byte[] Create(ReadOnlySpan<byte> rawId, int code, string message, RpcErrorData? data = null)
    {
        var output = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            writer.WriteString("jsonrpc"u8, "2.0"u8);
            writer.WritePropertyName("id"u8);
            if (rawId.IsEmpty)
            {
                writer.WriteNullValue();
            }
            else
            {
                // The id is echoed exactly as the client spelled it (fractions, big numbers, escapes).
                writer.WriteRawValue(rawId, skipInputValidation: true);
            }

            writer.WriteStartObject("error"u8);
            writer.WriteNumber("code"u8, code);
            writer.WriteString("message"u8, message);
            if (data is not null)
            {
                writer.WriteStartObject("data"u8);
                if (data.Field is not null)
                {
                    writer.WriteString("field"u8, data.Field);
                }

                writer.WriteString("reason"u8, data.Reason);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return output.WrittenSpan.ToArray();
    }

    public static byte[] ParseError() => Create(default, RpcErrorCodes.ParseError, RpcErrorCodes.ParseErrorMessage);

    public static byte[] InvalidRequest(ReadOnlySpan<byte> rawId) =>
        Create(rawId, RpcErrorCodes.InvalidRequest, RpcErrorCodes.InvalidRequestMessage);

    public static byte[] InvalidRequest(string detail) =>
        Create(default, RpcErrorCodes.InvalidRequest, $"{RpcErrorCodes.InvalidRequestMessage}: {detail}");

    /// <summary>A request object with a member written twice: it asks for two things at once.</summary>
    public static byte[] DuplicateMember(ReadOnlySpan<byte> rawId, string member) =>
        Create(rawId, RpcErrorCodes.InvalidRequest, $"{RpcErrorCodes.InvalidRequestMessage}: member \"{member}\" appears more than once");

    /// <summary>An object inside params with a member written twice; <paramref name="field"/> is its path.</summary>
    public static byte[] DuplicateParam(ReadOnlySpan<byte> rawId, string field)
    {
        var data = new RpcErrorData(field, "appears more than once");
        return Create(rawId, RpcErrorCodes.InvalidParams, RpcErrorCodes.InvalidParamsFor(field, data.Reason), data);
    }

    public static byte[] MethodNotFound(ReadOnlySpan<byte> rawId) =>
        Create(rawId, RpcErrorCodes.MethodNotFound, RpcErrorCodes.MethodNotFoundMessage);

    public static byte[] ParamsNotText(ReadOnlySpan<byte> rawId) =>
        Create(
            rawId,
            RpcErrorCodes.InvalidParams,
            RpcErrorCodes.InvalidParamsFor(ParamsNotUnicode.Field!, ParamsNotUnicode.Reason),
            ParamsNotUnicode);

    public static byte[] ParamsTooDeep(ReadOnlySpan<byte> rawId, string field, int maxDepth)
    {
        var data = new RpcErrorData(field, $"nests too deep: params may nest at most {maxDepth} levels");
        return Create(rawId, RpcErrorCodes.InvalidParams, RpcErrorCodes.InvalidParamsFor(data.Field!, data.Reason), data);
    }

    public static byte[] ParamsMustBeNamed(ReadOnlySpan<byte> rawId) =>
        Create(
            rawId,
            RpcErrorCodes.InvalidParams,
            RpcErrorCodes.InvalidParamsFor(ParamsNotNamed.Field!, ParamsNotNamed.Reason),
            ParamsNotNamed);
}
