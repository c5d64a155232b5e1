using System.Buffers;

namespace ScriptExec.Rpc.Protocol;

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
