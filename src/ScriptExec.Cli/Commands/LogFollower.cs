using ScriptExec.Cli.Connection;
using ScriptExec.Cli.Output;

namespace ScriptExec.Cli.Commands;

/// <summary>
/// <c>logs -f</c>: prints an execution's output as it arrives, each line once and in order, and returns when the
/// execution has ended and every line is printed.
/// <para>
/// It subscribes before reading what is stored, so no line falls between the two. Line ids of an execution are
/// consecutive, which shows when one is missing: a line captured just before the subscription may not yet be in
/// the store (the daemon writes output in batches), and a slow reader's notifications may be dropped. Lines after
/// a gap wait in <see cref="_pending"/> while the store is read again, until the gap is filled or the execution
/// ends. The end is read from the store too, since the daemon stores every line before it records the end.
/// </para>
/// </summary>
internal sealed class LogFollower
{
    /// <summary>How soon to re-read the store while a gap is open (the daemon's batch writer is quick).</summary>
    private static readonly TimeSpan GapRetryInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How long to trust silence before looking. Lines come live with notifications and a drop is announced
    /// (<c>execution_dropped</c>), so this is only a safety net against a daemon that loses an end silently.
    /// </summary>
    private static readonly TimeSpan RecheckInterval = TimeSpan.FromSeconds(2);

    /// <summary>Poll interval when the daemon has no <c>execution_subscribe</c>.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    private readonly DaemonClient _client;
    private readonly LinePrinter _printer;
    private readonly long _id;
    private readonly SortedDictionary<long, WireLine> _pending = [];
    private bool _subscribed;
    private bool _endNotified;

    public LogFollower(DaemonClient client, LinePrinter printer, long id)
    {
        _client = client;
        _printer = printer;
        _id = id;
    }

    /// <summary>Follows until the execution has ended and all its lines are printed; returns the ended execution.</summary>
    public async Task<WireExecution> RunAsync(CancellationToken cancellationToken)
    {
        var execution = (await ExecutionWaiter.GetAsync(_client, _id, cancellationToken)).Execution;
        if (!execution.HasEnded)
        {
            try
            {
                var subscription = ExecutionWaiter.SubscriptionParams(execution.ScriptName, execution.InstanceName, output: true);
                await _client.CallAsync("execution_subscribe", subscription, cancellationToken);
                _subscribed = true;
            }
            catch (RpcErrorException e) when (e.Code == RpcErrorException.MethodNotFound)
            {
                // An older daemon: poll the store instead.
            }
        }

        WireExecution? ended;
        while ((ended = await CatchUpAsync(cancellationToken)) is null)
        {
            await _printer.FlushAsync(cancellationToken);
            if (_subscribed)
            {
                await WaitForNewsAsync(cancellationToken);
            }
            else
            {
                await Task.Delay(PollInterval, cancellationToken);
            }
        }

        return ended;
    }

    /// <summary>Handles notifications until the store should be read: a gap, dropped events, silence, or the end.</summary>
    private async Task WaitForNewsAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var notification = await _client.NextNotificationAsync(_pending.Count > 0 ? GapRetryInterval : RecheckInterval, cancellationToken);
            if (notification is null || await HandleAsync(notification, cancellationToken))
            {
                return;
            }
        }
    }

    /// <summary>Takes in one notification; true when the store should be read now.</summary>
    private async Task<bool> HandleAsync(Notification notification, CancellationToken cancellationToken)
    {
        switch (notification.Method)
        {
            case "execution_output":
                var output = ReplyReader.Read(notification.Params, CliJsonContext.Default.WireExecutionOutput, "execution_output");
                if (output.ExecutionId == _id)
                {
                    foreach (var line in output.Lines.Where(l => l.Id > _printer.LastId))
                    {
                        _pending[line.Id] = line;
                    }
                }

                await DrainPendingAsync(cancellationToken);
                await _printer.FlushAsync(cancellationToken);
                return output.Dropped is > 0 || _pending.Count > 0;
            case "execution_changed":
                var changed = ReplyReader.Read(notification.Params, CliJsonContext.Default.WireExecutionChanged, "execution_changed");
                _endNotified |= changed.Execution.Id == _id && changed.Execution.HasEnded;
                return _endNotified || changed.Dropped is > 0;
            case "execution_dropped":
                // The daemon's queue for us overflowed (we printed slower than the script wrote): lines or the end
                // notification may be among what was dropped, and the store has them.
                return true;
            default:
                return false;
        }
    }

    /// <summary>Prints the stored lines not printed yet; the ended execution once it has ended and all is printed, else null.</summary>
    private async Task<WireExecution?> CatchUpAsync(CancellationToken cancellationToken)
    {
        var execution = await LogsCommand.PrintStoredAsync(_client, _printer, _id, StreamSelection.Both, cancellationToken);
        await DrainPendingAsync(cancellationToken);
        if (!execution.HasEnded)
        {
            return null;
        }

        // Ended: the store has every line it will ever have. A line only a notification brought (its store batch
        // failed) comes before the end notification, so take in what precedes the end unless it was dropped.
        while (_subscribed && !_endNotified && await _client.NextNotificationAsync(RecheckInterval, cancellationToken) is { } notification)
        {
            await HandleAsync(notification, cancellationToken);
        }

        foreach (var line in _pending.Values)
        {
            await _printer.PrintAsync(line, cancellationToken);
        }

        _pending.Clear();
        return execution;
    }

    /// <summary>Prints pending lines for as long as they continue the sequence without a gap.</summary>
    private async Task DrainPendingAsync(CancellationToken cancellationToken)
    {
        foreach (var stale in _pending.Keys.Where(k => k <= _printer.LastId).ToList())
        {
            _pending.Remove(stale);
        }

        while (_pending.Remove(_printer.LastId + 1, out var next))
        {
            await _printer.PrintAsync(next, cancellationToken);
        }
    }
}
