namespace ScriptExec.Rpc.Protocol;

/// <summary>A connection that carries whole JSON-RPC messages (one request, response or batch each).</summary>
/// <remarks>
/// One reader at a time; writers may be concurrent, the implementation serializes them. Once the connection is
/// closed, writes are discarded: the peer is gone and nobody is left to tell.
/// </remarks>
public interface IMessageTransport : IAsyncDisposable
{
    /// <summary>Gets the largest inbound message accepted, in bytes.</summary>
    int MaxMessageBytes { get; }

    /// <summary>
    /// Gets how long a started message may take to arrive whole, or null for no limit. Only time spent waiting for
    /// the peer counts; a connection with no message under way may stay idle forever (subscribers are).
    /// </summary>
    TimeSpan? MessageTimeout { get; }

    /// <summary>Reads the next whole message; its bytes stay valid until the next call.</summary>
    ValueTask<TransportRead> ReadAsync(CancellationToken cancellationToken);

    /// <summary>Writes one whole message.</summary>
    ValueTask WriteAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken);

    /// <summary>Closes the connection, telling the peer why where the framing can say so.</summary>
    ValueTask CloseAsync(bool tooLarge, CancellationToken cancellationToken);
}
