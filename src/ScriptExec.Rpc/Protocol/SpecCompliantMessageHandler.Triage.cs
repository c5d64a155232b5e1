using System.Buffers;
using System.Text.Json;

namespace ScriptExec.Rpc.Protocol;

/// <content>Validation of inbound messages: what is answered here and what is passed on to StreamJsonRpc.</content>
public sealed partial class SpecCompliantMessageHandler
{
    /// <summary>Takes one inbound message apart; returns the reply to write now, if any.</summary>
    private byte[]? Triage(ReadOnlySequence<byte> message)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(message);
        }
        catch (JsonException)
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

        if (exists && !InboundRequest.TryNormalizeParams(request.Params, out parameters))
        {
            return request.IsNotification ? null : Answer(ErrorReplies.ParamsMustBeNamed(request.RawId), batch);
        }

        long? internalId = null;
        if (request.RawId is { } rawId)
        {
            internalId = Interlocked.Increment(ref lastInternalId);
            pending[internalId.Value] = new PendingReply(rawId, batch, batch?.Reserve() ?? -1);
            ReplyPromised();
        }

        // An unknown method goes through untouched so that StreamJsonRpc answers -32601 itself.
        forwards.Enqueue(request.Rewrite(internalId, parameters, emptyObjectWhenNone: exists));
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

    private static bool IsReserved(string method) =>
        method.StartsWith("rpc.", StringComparison.Ordinal) || method.StartsWith("$/", StringComparison.Ordinal);
}
