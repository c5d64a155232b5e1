using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using ScriptExec.Core;

namespace ScriptExec.Store;

/// <summary>
/// Follows whether the store accepts writes, in episodes: the first refused write of an episode is logged as a
/// warning and the first successful one after it as "available again"; the writes in between are only counted,
/// so a full disk does not also flood the log.
/// </summary>
public sealed class StoreAvailability
{
    private readonly Lock _lock = new();
    private readonly ILogger _logger;
    private readonly TimeProvider _clock;
    private volatile bool _writable = true;
    private DateTimeOffset? _since;
    private StorageFault? _lastError;
    private long _refusedTotal;
    private long _lostTotal;
    private long _refusedInEpisode;
    private long _lostInEpisode;

    public StoreAvailability(ILogger logger, TimeProvider clock)
    {
        _logger = logger;
        _clock = clock;
    }

    public bool IsWritable => _writable;

    public StoreCondition Current
    {
        get
        {
            lock (_lock)
            {
                return new StoreCondition(_writable, _since, _lastError, _refusedTotal, _lostTotal);
            }
        }
    }

    /// <summary>The storage condition behind <paramref name="exception"/>, or null when it is not about storage.</summary>
    public static StorageFault? FaultOf(SqliteException exception) => (exception.SqliteErrorCode & 0xFF) switch
    {
        SQLitePCL.raw.SQLITE_FULL => StorageFault.Full,
        SQLitePCL.raw.SQLITE_READONLY => StorageFault.ReadOnly,
        SQLitePCL.raw.SQLITE_IOERR or SQLitePCL.raw.SQLITE_CANTOPEN => StorageFault.IoError,
        _ => null,
    };

    /// <summary>Counts a refused write (logging the first of an episode) and returns the error to report.</summary>
    /// <param name="cause">The store's failure, or null when the write was refused without being tried.</param>
    /// <param name="kind">Only requests' writes count as refused; output batches are counted as lost lines instead.</param>
    internal ScriptExecException Refused(StorageFault fault, Exception? cause, WriteKind kind)
    {
        bool first;
        lock (_lock)
        {
            first = _writable;
            if (first)
            {
                _writable = false;
                _since = _clock.GetUtcNow();
                _refusedInEpisode = 0;
                _lostInEpisode = 0;
            }

            _lastError = fault;

            // Requests only: an essential record is retried until stored, and each try is not another refusal.
            if (kind == WriteKind.Request)
            {
                _refusedTotal++;
                _refusedInEpisode++;
            }
        }

        if (first)
        {
            Log.Unavailable(_logger, fault.Describe(), cause?.Message ?? string.Empty);
        }

        return new ScriptExecException(fault, $"the store refused the write ({fault.Describe()}); nothing was changed", cause);
    }

    /// <summary>Closes an unwritable episode, if one is open: called after every committed write.</summary>
    internal void Succeeded()
    {
        if (_writable)
        {
            return;
        }

        double seconds;
        long refused;
        long lost;
        lock (_lock)
        {
            if (_writable)
            {
                return;
            }

            _writable = true;
            seconds = (_clock.GetUtcNow() - _since!.Value).TotalSeconds;
            refused = _refusedInEpisode;
            lost = _lostInEpisode;
            _since = null;
            _lastError = null;
        }

        Log.AvailableAgain(_logger, seconds, refused, lost);
    }

    /// <summary>Counts captured lines the store refused; the first loss of an episode is logged.</summary>
    internal void OutputLinesLost(long count)
    {
        bool first;
        StorageFault? fault;
        lock (_lock)
        {
            first = _lostInEpisode == 0;
            _lostInEpisode += count;
            _lostTotal += count;
            fault = _lastError;
        }

        if (first)
        {
            Log.OutputLost(_logger, fault?.Describe() ?? "store error");
        }
    }
}
