using System.Buffers;

namespace ScriptExec.Rpc.Protocol;

/// <summary>The replies of one inbound batch, collected until every request in it is answered.</summary>
/// <remarks>
/// Slots are reserved while the batch is triaged (one thread); replies then arrive from StreamJsonRpc on any
/// thread. The batch is written once sealed and full, in request order.
/// </remarks>
internal sealed class PendingBatch
{
    private readonly Lock _gate = new();
    private readonly List<byte[]?> _slots = [];
    private int _unanswered;
    private bool _isSealed;

    public int Reserve()
    {
        lock (_gate)
        {
            _slots.Add(null);
            _unanswered++;
            return _slots.Count - 1;
        }
    }

    /// <summary>Stores one reply; returns the whole batch reply if this was the last one missing.</summary>
    public byte[]? Fill(int slot, byte[] reply)
    {
        lock (_gate)
        {
            _slots[slot] = reply;
            _unanswered--;
            return _isSealed && _unanswered == 0 ? Compose() : null;
        }
    }

    /// <summary>Ends triage; returns the whole batch reply if nothing is left to wait for and there is anything to say.</summary>
    public byte[]? Seal()
    {
        lock (_gate)
        {
            _isSealed = true;
            return _unanswered == 0 && _slots.Count > 0 ? Compose() : null;
        }
    }

    private byte[] Compose()
    {
        var output = new ArrayBufferWriter<byte>();
        output.Write("["u8);
        for (int i = 0; i < _slots.Count; i++)
        {
            if (i > 0)
            {
                output.Write(","u8);
            }

            output.Write(_slots[i]);
        }

        output.Write("]"u8);
        return output.WrittenSpan.ToArray();
    }
}
