namespace ScriptExec.Store;

/// <summary>
/// Execution ids handed out before their start record is written, and the order in which those records commit.
/// </summary>
/// <remarks>
/// A held spawn (see the supervisor) needs its id before the record: the id is in the script's environment, its
/// cgroup's name and its token, and the record is written once the process exists, in the same transaction as its
/// pid. Ids are still committed in increasing order, as AUTOINCREMENT would commit them: the record of id N waits
/// until N-1 is committed or given up, so a client that pages forward by id ("newer than the last I saw") never
/// skips a start that committed late. A start given up (the store refused its record) leaves its id unused.
/// </remarks>
public sealed class StartSequence
{
    private readonly Lock _lock = new();
    private long _last;
    private Task _previous = Task.CompletedTask;

    /// <param name="lastId">The highest id ever handed out: AUTOINCREMENT's sequence or the highest stored id.</param>
    public StartSequence(long lastId)
    {
        _last = lastId;
    }

    /// <summary>The next id; dispose the ticket (or write its record) so the next one may commit.</summary>
    public StartTicket Take()
    {
        lock (_lock)
        {
            var ticket = new StartTicket(++_last, _previous);
            _previous = ticket.Settled;
            return ticket;
        }
    }
}

/// <summary>An id taken from <see cref="StartSequence"/>: its record commits after every earlier ticket settled.</summary>
public sealed class StartTicket : IDisposable
{
    private readonly TaskCompletionSource _settled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal StartTicket(long id, Task predecessor)
    {
        Id = id;
        Predecessor = predecessor;
    }

    public long Id { get; }

    /// <summary>Completes when every earlier ticket's record is committed or given up.</summary>
    internal Task Predecessor { get; }

    /// <summary>Completes when this ticket's record is committed or given up.</summary>
    internal Task Settled => _settled.Task;

    /// <summary>Lets the next ticket commit; its own record is written or given up by now.</summary>
    public void Dispose() => _settled.TrySetResult();
}
