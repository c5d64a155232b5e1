using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;
using StreamJsonRpc.Reflection;

namespace ScriptExec.Rpc.Protocol;

/// <summary>
/// A StreamJsonRpc message handler that gives the connection all of JSON-RPC 2.0 (batches, parse errors that
/// keep the connection open, any id echoed byte-exact, a size limit) while StreamJsonRpc still dispatches.
/// </summary>
/// <remarks>
/// Each inbound message is validated and rewritten before StreamJsonRpc sees it: ids become internal numbers
/// mapped back on the way out, and params become the one by-name object every method of this API takes. What is
/// invalid is answered here. The handler owns the transport and disposes it with itself.
/// </remarks>
public sealed partial class SpecCompliantMessageHandler
    : IJsonRpcMessageHandler, IJsonRpcMessageBufferManager, IAsyncDisposable, Microsoft.VisualStudio.Threading.IAsyncDisposable
{
    /// <summary>The default cap on members of one batch.</summary>
    public const int DefaultMaxBatchMembers = 1000;

    /// <summary>The default number of requests a client may have unanswered before the next message is read.</summary>
    public const int DefaultMaxUnansweredRequests = 1000;

    // Most replies fit at once; a page of executions grows it a few times (pooled arrays, so nothing is left to collect).
    private const int ReplyBufferBytes = 4096;

    private readonly IMessageTransport _transport;
    private readonly SystemTextJsonFormatter _formatter;
    private readonly IReadOnlySet<string> _methodNames;
    private readonly ILogger _logger;
    private readonly int _maxBatchMembers;
    private readonly int _maxUnansweredRequests;

    // Rewritten requests of the current inbound message, handed to StreamJsonRpc one per ReadAsync. Only the
    // reading side touches it, and it holds at most one message's worth.
    private readonly Queue<byte[]> _forwards = new();
    private readonly ConcurrentDictionary<long, PendingReply> _pending = new();
    private readonly SemaphoreSlim _readGate = new(1, 1);
    private readonly Lock _serializeGate = new();
    private readonly Lock _drainGate = new();
    private long _lastInternalId;

    // Forwarded requests whose replies are not yet written (a batch member's counts as written once parked in
    // its batch, except the last). The reader waits on it for back-pressure and to drain; guarded by _drainGate.
    private int _unsentReplies;
    private int _wakeReaderAt;
    private TaskCompletionSource? _readerWake;
    private int _disposed;

    /// <param name="methodNames">The methods that exist; only their params are normalized or refused.</param>
    /// <param name="maxUnansweredRequests">
    /// Requests in flight before reading pauses: a client that sends without reading replies is slowed down by
    /// its own transport instead of growing our memory.
    /// </param>
    public SpecCompliantMessageHandler(
        IMessageTransport transport,
        SystemTextJsonFormatter formatter,
        IReadOnlySet<string> methodNames,
        ILogger? logger = null,
        int maxBatchMembers = DefaultMaxBatchMembers,
        int maxUnansweredRequests = DefaultMaxUnansweredRequests)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(formatter);
        ArgumentNullException.ThrowIfNull(methodNames);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatchMembers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxUnansweredRequests);
        _transport = transport;
        _formatter = formatter;
        _methodNames = methodNames;
        _logger = logger ?? NullLogger.Instance;
        _maxBatchMembers = maxBatchMembers;
        _maxUnansweredRequests = maxUnansweredRequests;
    }

    /// <summary>Checks each request of an existing method before it is dispatched; none: every request is.</summary>
    public IMethodGate? Gate { get; init; }

    public bool CanRead => true;

    public bool CanWrite => true;

    public IJsonRpcMessageFormatter Formatter => _formatter;

    public async ValueTask<JsonRpcMessage?> ReadAsync(CancellationToken cancellationToken)
    {
        await _readGate.WaitAsync(cancellationToken);
        try
        {
            while (true)
            {
                if (_forwards.TryDequeue(out byte[]? next))
                {
                    // Deserialized here, on StreamJsonRpc's read loop, because the formatter keeps one inbound
                    // document at a time and releases it in DeserializationComplete before the next read.
                    return _formatter.Deserialize(new ReadOnlySequence<byte>(next));
                }

                await WaitUntilUnsentRepliesAtMostAsync(_maxUnansweredRequests - 1, cancellationToken);
                TransportRead read = await _transport.ReadAsync(cancellationToken);
                switch (read.Kind)
                {
                    case TransportReadKind.Message:
                        if (Triage(read.Message) is { } reply)
                        {
                            await _transport.WriteAsync(reply, cancellationToken);
                        }

                        break;
                    case TransportReadKind.TooLarge:
                        ProtocolLog.MessageTooLarge(_logger, _transport.MaxMessageBytes);
                        await _transport.WriteAsync(
                            ErrorReplies.InvalidRequest($"message exceeds {_transport.MaxMessageBytes} bytes"),
                            cancellationToken);
                        await _transport.CloseAsync(tooLarge: true, cancellationToken);
                        return null;
                    case TransportReadKind.TimedOut:
                        double seconds = _transport.MessageTimeout.GetValueOrDefault().TotalSeconds;
                        ProtocolLog.MessageTimedOut(_logger, seconds);
                        await _transport.WriteAsync(
                            ErrorReplies.InvalidRequest($"message not completed within {seconds:0.###} s"),
                            cancellationToken);
                        await _transport.CloseAsync(tooLarge: false, cancellationToken);
                        return null;
                    default:
                        // A client that sends its requests and then half-closes (echo ... | socat) still gets its replies.
                        await WaitUntilUnsentRepliesAtMostAsync(0, cancellationToken);
                        return null;
                }
            }
        }
        finally
        {
            _readGate.Release();
        }
    }

    public async ValueTask WriteAsync(JsonRpcMessage jsonRpcMessage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jsonRpcMessage);
        if (jsonRpcMessage is not (JsonRpcResult or JsonRpcError)
            || jsonRpcMessage is not IJsonRpcMessageWithId { RequestId.Number: long internalId }
            || !_pending.TryGetValue(internalId, out PendingReply reply))
        {
            // Server-initiated notifications go out as StreamJsonRpc wrote them. (Server-initiated requests cannot
            // work: a client's response is not a valid request to this front layer.)
            // Notifications are the bulk of what goes out (live output, to every subscriber): pooled buffers, returned
            // once the transport is done with the bytes.
            using var notification = new PooledBufferWriter(4096);
            lock (_serializeGate)
            {
                _formatter.Serialize(notification, jsonRpcMessage);
            }

            await _transport.WriteAsync(notification.WrittenMemory, cancellationToken);
            return;
        }

        if (jsonRpcMessage is JsonRpcError { Error: { } error })
        {
            OutboundResponses.Sanitize(error);
        }

        // Pooled buffers: a page of executions is tens of kilobytes, and a fresh growing array per reply (plus its
        // spliced copy) was most of what a query allocated, so most of what made the GC pause under a dashboard's polls.
        using var serialized = new PooledBufferWriter(ReplyBufferBytes);
        lock (_serializeGate)
        {
            if (jsonRpcMessage is not JsonRpcResult result || !OutboundResponses.TryWriteResult(serialized, result, internalId))
            {
                _formatter.Serialize(serialized, jsonRpcMessage);
            }
        }

        // Only forget the id once serialization worked: on failure StreamJsonRpc answers the same id again.
        if (reply.Batch is not null)
        {
            byte[] member = OutboundResponses.SpliceId(serialized.WrittenMemory.Span, reply.RawId);
            _pending.TryRemove(internalId, out _);
            if (reply.Batch.Fill(reply.Slot, member) is { } wholeBatch)
            {
                await WriteReplyAsync(wholeBatch, cancellationToken);
            }
            else
            {
                ReplySent();
            }

            return;
        }

        using var response = new PooledBufferWriter(serialized.WrittenMemory.Length + reply.RawId.Length);
        OutboundResponses.SpliceId(serialized.WrittenMemory.Span, reply.RawId, response);
        _pending.TryRemove(internalId, out _);
        await WriteReplyAsync(response.WrittenMemory, cancellationToken);
    }

    /// <summary>Writes a reply and counts it as sent.</summary>
    private async ValueTask WriteReplyAsync(ReadOnlyMemory<byte> reply, CancellationToken cancellationToken)
    {
        try
        {
            await _transport.WriteAsync(reply, cancellationToken);
        }
        finally
        {
            ReplySent();
        }
    }

    void IJsonRpcMessageBufferManager.DeserializationComplete(JsonRpcMessage message) =>
        (message as IJsonRpcMessageBufferManager)?.DeserializationComplete(message);

    // JsonRpc disposes its handler when the connection ends only through this interface (or IDisposable).
    Task Microsoft.VisualStudio.Threading.IAsyncDisposable.DisposeAsync() => DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        lock (_drainGate)
        {
            _readerWake?.TrySetResult();
        }

        // StreamJsonRpc cancels its read before disposing us; the transport must not close under a pending read.
        await _readGate.WaitAsync();
        try
        {
            await _transport.DisposeAsync();
        }
        finally
        {
            _readGate.Release();
        }
    }

    private void ReplyPromised()
    {
        lock (_drainGate)
        {
            _unsentReplies++;
        }
    }

    private void ReplySent()
    {
        lock (_drainGate)
        {
            if (--_unsentReplies <= _wakeReaderAt)
            {
                _readerWake?.TrySetResult();
            }
        }
    }

    private async Task WaitUntilUnsentRepliesAtMostAsync(int count, CancellationToken cancellationToken)
    {
        Task wait;
        lock (_drainGate)
        {
            if (_unsentReplies <= count || _disposed != 0)
            {
                return;
            }

            _wakeReaderAt = count;
            _readerWake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            wait = _readerWake.Task;
        }

        await wait.WaitAsync(cancellationToken);
    }

    /// <summary>Where the reply to one forwarded request goes: the client's own id, and its batch slot if any.</summary>
    private readonly record struct PendingReply(byte[] RawId, PendingBatch? Batch, int Slot);
}
