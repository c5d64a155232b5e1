using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using ScriptExec.Core;

namespace ScriptExec.Store;

/// <summary>
/// The write path under storage faults. A refused write is rolled back and reported as 1007. When the storage is
/// full the reserve file is deleted so essential records fit, and from then on only essential writes are tried
/// (the "gate"): otherwise a script flooding output would eat the freed space at once. A background probe
/// allocates the reserve again as soon as the file system has room, which reopens the gate: the daemon comes
/// back by itself.
/// </summary>
public sealed partial class SqliteDatabase
{
    private static readonly TimeSpan FirstProbeDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxProbeDelay = TimeSpan.FromSeconds(2);

    private readonly ILogger _logger;
    private readonly TimeProvider _clock;
    private readonly StorageReserve _reserve;
    private readonly CancellationTokenSource _probeStop = new();
    private volatile bool _gated;
    private bool _probing;

    /// <summary>Whether the store accepts writes, and what it refused so far.</summary>
    public StoreAvailability Availability { get; }

    /// <summary>True while the reserve file holds its space.</summary>
    public bool ReserveHeld => _reserve.IsHeld;

    private long FreeBytes()
    {
        try
        {
            return new DriveInfo(Path.GetDirectoryName(DatabasePath)!).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return 0;
        }
    }

    private T WriteLocked<T>(Func<SqliteConnection, SqliteTransaction, T> work, Action<T>? committed, WriteKind kind)
    {
        if (_gated && kind != WriteKind.Essential)
        {
            // Not even tried: the space left belongs to end and stop records until the reserve is back.
            throw Availability.Refused(StorageFault.Full, null, kind);
        }

        if (kind == WriteKind.Output)
        {
            FoldLogIfLong();
        }

        try
        {
            return Commit(work, committed);
        }
        catch (SqliteException e) when (StoreAvailability.FaultOf(e) is { } fault)
        {
            if (fault == StorageFault.Full && CloseGate() && kind == WriteKind.Essential)
            {
                try
                {
                    return Commit(work, committed);
                }
                catch (SqliteException again) when (StoreAvailability.FaultOf(again) is { } stillFailing)
                {
                    throw Availability.Refused(stillFailing, again, kind);
                }
            }

            throw Availability.Refused(fault, e, kind);
        }
    }

    private T Commit<T>(Func<SqliteConnection, SqliteTransaction, T> work, Action<T>? committed)
    {
        // Disposing an uncommitted transaction rolls it back (or notes that SQLite already did, as it may on SQLITE_FULL).
        using var transaction = _writer.BeginTransaction();
        var result = work(_writer, transaction);
        transaction.Commit();
        if (!_gated)
        {
            // Behind a closed gate an essential write lives on the reserve's space: that is no sign of recovery.
            Availability.Succeeded();
        }

        committed?.Invoke(result);
        return result;
    }

    /// <summary>
    /// Closes the gate on a full disk and starts the probe; called holding the write lock, as the probe decides under
    /// it too. True when the reserve was released just now.
    /// </summary>
    private bool CloseGate()
    {
        if (!_reserve.IsEnabled)
        {
            return false;
        }

        _gated = true;
        var released = _reserve.Release();
        if (released)
        {
            Log.ReserveReleased(_logger, _reserve.Bytes, DatabasePath);
        }

        if (!_probing)
        {
            _probing = true;
            _ = ProbeUntilRoomAsync(_probeStop.Token);
        }

        return released;
    }

    private async Task ProbeUntilRoomAsync(CancellationToken cancellationToken)
    {
        var delay = FirstProbeDelay;
        try
        {
            while (true)
            {
                await Task.Delay(delay, _clock, cancellationToken);
                await _writeLock.WaitAsync(cancellationToken);
                try
                {
                    // Room for the reserve and as much again: otherwise the reserve alone would take back the space
                    // its release just freed, and ordinary writes would fill the rest at once.
                    if (FreeBytes() >= 2 * _reserve.Bytes && _reserve.TryAllocate())
                    {
                        _gated = false;
                        _probing = false;
                        Log.ReserveRestored(_logger, _reserve.Bytes);
                        Availability.Succeeded();
                        return;
                    }
                }
                finally
                {
                    _writeLock.Release();
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxProbeDelay.Ticks));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // The store is closing.
        }
    }
}
