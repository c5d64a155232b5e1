using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;

namespace ScriptExec.Rpc.Protocol;

/// <content>Validation of inbound messages: what is answered here and what is passed on to StreamJsonRpc.</content>
public sealed partial class SpecCompliantMessageHandler
{
    /// <summary>Takes one inbound message apart; returns the reply to write now, if any.</summary>
    private byte[]? Triage(ReadOnlySequence<byte> message)
    {
        // JSON text is UTF-8 (RFC 8259), but System.Text.Json lets invalid bytes inside strings through, and an id
        // echoed byte-exact would then make our own reply invalid. One contiguous copy, as the parser makes anyway.
        ReadOnlyMemory<byte> text = message.IsSingleSegment ? message.First : message.ToArray();
        JsonDocument? document = null;
        try
        {
            if (Utf8.IsValid(text.Span))
            {
                document = JsonDocument.Parse(text, ParseOptions);
            }
        }
        catch (JsonException)
        {
            // Below: answered as a parse error.
        }

        if (document is null)
        {
            ProtocolLog.ParseError(logger);
            return ErrorReplies.ParseError();
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array)
            {
                return TriageMember(root, batch: null);
            }

            int length = root.GetArrayLength();
            if (length == 0)
            {
                return ErrorReplies.InvalidRequest(rawId: default);
            }

            if (length > maxBatchMembers)
            {
                return ErrorReplies.InvalidRequest($"batch exceeds {maxBatchMembers} members");
            }

            var batch = new PendingBatch();
            foreach (JsonElement member in root.EnumerateArray())
            {
                TriageMember(member, batch);
            }

            return batch.Seal();
        }
    }

    /// <summary>Answers or forwards one request; returns the reply to write now when it is not part of a batch.</summary>
    private byte[]? TriageMember(JsonElement element, PendingBatch? batch)
    {
        if (!InboundRequest.TryParse(element, out InboundRequest request, out byte[]? rawIdForError))
        {
            return Answer(ErrorReplies.InvalidRequest(rawIdForError), batch);
        }

        string method = request.Method;
        bool exists = methodNames.Contains(method);
        JsonElement? parameters = request.Params;
        if (!exists && IsReserved(method))
        {
            // StreamJsonRpc's own $/ methods would act on our internal ids; rpc.* is reserved by the specification.
            return request.IsNotification ? null : Answer(ErrorReplies.MethodNotFound(request.RawId), batch);
        }

        if (request.Params is { } nested && FieldNestedTooDeep(nested) is { } field)
        {
            // First: the checks below and StreamJsonRpc read params at most 64 levels deep. An unknown method is still just unknown.
            return request.IsNotification ? null : Answer(
                exists ? ErrorReplies.ParamsTooDeep(request.RawId, field, MaxParamsDepth) : ErrorReplies.MethodNotFound(request.RawId), batch);
        }

        if (exists && !InboundRequest.TryNormalizeParams(request.Params, out parameters))
        {
            return request.IsNotification ? null : Answer(ErrorReplies.ParamsMustBeNamed(request.RawId), batch);
        }

        if (exists && parameters is { } named && InboundRequest.HasUnpairedSurrogate(named))
        {
            return request.IsNotification ? null : Answer(ErrorReplies.ParamsNotText(request.RawId), batch);
        }

        long? internalId = request.IsNotification ? null : Interlocked.Increment(ref lastInternalId);

        // An unknown method goes through untouched so that StreamJsonRpc answers -32601 itself. Rewritten before
        // the reply is promised: nothing may fail between promising a reply and handing its request on.
        byte[] forward = request.Rewrite(internalId, parameters, emptyObjectWhenNone: exists);
        if (internalId is { } id)
        {
            pending[id] = new PendingReply(request.RawId!, batch, batch?.Reserve() ?? -1);
            ReplyPromised();
        }

        forwards.Enqueue(forward);
        return null;
    }

    private static byte[]? Answer(byte[] reply, PendingBatch? batch)
    {
        if (batch is null)
        {
            return reply;
        }

        batch.Fill(batch.Reserve(), reply);
        return null;
    }

    // Deeper than any method's params need (a state value nests at most 32 levels), and far enough below the 64 levels
    // StreamJsonRpc parses that a refused message is answered -32602 naming its field, not a parse failure. The
    // message itself is parsed to a generous depth first, so depth alone never makes valid JSON a parse error.
    private const int MaxParamsDepth = 40;

    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 1024 };

    /// <summary>The params field nesting beyond <see cref="MaxParamsDepth"/> (params itself counting one), or null.</summary>
    private static string? FieldNestedTooDeep(JsonElement parameters)
    {
        if (parameters.ValueKind != JsonValueKind.Object)
        {
            return NestsBeyond(parameters, MaxParamsDepth) ? "params" : null;
        }

        foreach (JsonProperty field in parameters.EnumerateObject())
        {
            if (NestsBeyond(field.Value, MaxParamsDepth - 1))
            {
                return field.Name;
            }
        }

        return null;
    }

    private static bool NestsBeyond(JsonElement element, int levels) => element.ValueKind switch
    {
        JsonValueKind.Object => levels == 0 || element.EnumerateObject().Any(p => NestsBeyond(p.Value, levels - 1)),
        JsonValueKind.Array => levels == 0 || element.EnumerateArray().Any(e => NestsBeyond(e, levels - 1)),
        _ => false,
    };

    private static bool IsReserved(string method) =>
        method.StartsWith("rpc.", StringComparison.Ordinal) || method.StartsWith("$/", StringComparison.Ordinal);
}
