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
        bool duplicates = false;
        if (Utf8.IsValid(text.Span))
        {
            try
            {
                document = JsonDocument.Parse(text, ParseOptions);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                // Not JSON, or a member name written twice (or one escaping a lone surrogate, which the duplicate check
                // cannot decode and throws on): parsed again to tell which, and answered member by member.
                document = TryParseWithDuplicates(text);
                duplicates = document is not null;
            }
        }

        if (document is null)
        {
            ProtocolLog.ParseError(_logger);
            return ErrorReplies.ParseError();
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array)
            {
                return TriageMember(root, batch: null, duplicates);
            }

            int length = root.GetArrayLength();
            if (length == 0)
            {
                return ErrorReplies.InvalidRequest(rawId: default);
            }

            if (length > _maxBatchMembers)
            {
                return ErrorReplies.InvalidRequest($"batch exceeds {_maxBatchMembers} members");
            }

            var batch = new PendingBatch();
            foreach (JsonElement member in root.EnumerateArray())
            {
                TriageMember(member, batch, duplicates);
            }

            return batch.Seal();
        }
    }

    private static JsonDocument? TryParseWithDuplicates(ReadOnlyMemory<byte> text)
    {
        try
        {
            return JsonDocument.Parse(text, ParseOptionsWithDuplicates);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Answers or forwards one request; returns the reply to write now when it is not part of a batch.</summary>
    /// <param name="duplicates">Whether the message has a member name written twice somewhere, to be found and refused.</param>
    private byte[]? TriageMember(JsonElement element, PendingBatch? batch, bool duplicates)
    {
        bool parsed = InboundRequest.TryParse(element, out InboundRequest request, out byte[]? rawIdForError);
        if (duplicates && DuplicateMembers.InObject(element) is { } member)
        {
            // The id cannot be trusted when it is the member written twice.
            byte[]? rawId = member == "id" ? null : parsed ? request.RawId : rawIdForError;
            return Answer(ErrorReplies.DuplicateMember(rawId, member), batch);
        }

        if (!parsed)
        {
            return Answer(ErrorReplies.InvalidRequest(rawIdForError), batch);
        }

        string method = request.Method;
        bool exists = _methodNames.Contains(method);
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

        if (duplicates && exists && parameters is { } withDuplicates && DuplicateMembers.Path(withDuplicates) is { } duplicated)
        {
            return request.IsNotification ? null : Answer(ErrorReplies.DuplicateParam(request.RawId, duplicated), batch);
        }

        if (exists && Gate?.Check(method) is { } refusal)
        {
            // After the params checks, as a method that checked its caller first would have answered.
            return request.IsNotification ? null : Answer(ErrorReplies.Create(request.RawId, refusal.Code, refusal.Message, refusal.Data), batch);
        }

        long? internalId = request.IsNotification ? null : Interlocked.Increment(ref _lastInternalId);

        // An unknown method goes through untouched so that StreamJsonRpc answers -32601 itself. Rewritten before
        // the reply is promised: nothing may fail between promising a reply and handing its request on.
        byte[] forward = request.Rewrite(internalId, parameters, emptyObjectWhenNone: exists);
        if (internalId is { } id)
        {
            _pending[id] = new PendingReply(request.RawId!, batch, batch?.Reserve() ?? -1);
            ReplyPromised();
        }

        _forwards.Enqueue(forward);
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

    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 1024, AllowDuplicateProperties = false };

    private static readonly JsonDocumentOptions ParseOptionsWithDuplicates = new() { MaxDepth = 1024 };

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
