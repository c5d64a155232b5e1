using System.Buffers;

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

/// <summary>What one <see cref="IMessageTransport.ReadAsync"/> produced.</summary>
public enum TransportReadKind
{
    /// <summary>A whole message.</summary>
    Message,

    /// <summary>The peer sent more than <see cref="IMessageTransport.MaxMessageBytes"/> without ending a message; nothing more will be read.</summary>
    TooLarge,

    /// <summary>The peer ended the connection.</summary>
    EndOfStream,

    /// <summary>
    /// The peer started a message and did not finish it within <see cref="IMessageTransport.MessageTimeout"/>
    /// (a slow-loris client); nothing more will be read.
    /// </summary>
    TimedOut,
}

/// <summary>The outcome of one read: a message, an oversized message, or the end of the stream.</summary>
public readonly struct TransportRead : IEquatable<TransportRead>
{
    private TransportRead(TransportReadKind kind, ReadOnlySequence<byte> message)
    {
        Kind = kind;
        Message = message;
    }

    /// <summary>Gets the read's outcome.</summary>
    public TransportReadKind Kind { get; }

    /// <summary>Gets the message bytes when <see cref="Kind"/> is <see cref="TransportReadKind.Message"/>; valid until the next read.</summary>
    public ReadOnlySequence<byte> Message { get; }

    /// <summary>Gets the read that reports an oversized message.</summary>
    public static TransportRead TooLarge => new(TransportReadKind.TooLarge, default);

    /// <summary>Gets the read that reports a message not completed in time.</summary>
    public static TransportRead TimedOut => new(TransportReadKind.TimedOut, default);

    /// <summary>Gets the read that reports the end of the stream.</summary>
    public static TransportRead EndOfStream => new(TransportReadKind.EndOfStream, default);

    public static bool operator ==(TransportRead left, TransportRead right) => left.Equals(right);

    public static bool operator !=(TransportRead left, TransportRead right) => !left.Equals(right);

    /// <summary>Creates the read of one whole message.</summary>
    public static TransportRead FromMessage(ReadOnlySequence<byte> message) => new(TransportReadKind.Message, message);

    public bool Equals(TransportRead other) => Kind == other.Kind && Message.Equals(other.Message);

    public override bool Equals(object? obj) => obj is TransportRead other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Kind, Message);
}
