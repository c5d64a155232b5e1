using System.Collections.Concurrent;

namespace ScriptExec.Rpc.Sessions;

/// <summary>
/// Connected clients per transport (<c>unix</c>, <c>websocket</c>, and whatever a channel names itself, e.g.
/// <c>mqtt</c>), read by <c>GET /metrics</c> as <c>scriptexec_clients{transport}</c>. A channel that serves sessions
/// outside <see cref="ClientSession.RunAsync"/> counts its own: <c>using var counted = clients.Connected("mqtt");</c>.
/// Transport names are fixed strings in code, so the label stays bounded.
/// </summary>
public sealed class ClientCounter
{
    // One box per transport ever seen (a handful); a connection costs one interlocked add each way.
    private readonly ConcurrentDictionary<string, StrongBox> _counts = new(StringComparer.Ordinal);

    /// <param name="transports">Transports reported from the start, at zero until a client comes.</param>
    public ClientCounter(params string[] transports)
    {
        foreach (var transport in transports)
        {
            _counts[transport] = new StrongBox();
        }
    }

    /// <summary>Counts one client of <paramref name="transport"/> until the returned handle is disposed (once is enough).</summary>
    public IDisposable Connected(string transport)
    {
        ArgumentException.ThrowIfNullOrEmpty(transport);
        var box = _counts.GetOrAdd(transport, static _ => new StrongBox());
        Interlocked.Increment(ref box.Value);
        return new Handle(box);
    }

    /// <summary>Clients connected now, per transport seen since start (zero once all of one transport left).</summary>
    public IReadOnlyList<KeyValuePair<string, long>> Snapshot() =>
        [.. _counts.Select(c => new KeyValuePair<string, long>(c.Key, Interlocked.Read(ref c.Value.Value)))];

    private sealed class StrongBox
    {
        public long Value;
    }

    private sealed class Handle(StrongBox box) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref box.Value);
            }
        }
    }
}
