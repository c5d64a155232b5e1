namespace ScriptExec.Store;

/// <summary>Where the store lives and how hard it syncs.</summary>
public sealed class StoreOptions
{
    /// <summary>Path of the SQLite file.</summary>
    public required string DatabasePath { get; init; }

    /// <summary>
    /// SQLite <c>synchronous</c> level in WAL mode. NORMAL (default) survives a crash or kill -9 of the daemon;
    /// FULL also survives power loss of the last transactions, at the price of an fsync per commit.
    /// </summary>
    public string Synchronous { get; init; } = "NORMAL";

    /// <summary>
    /// A file preallocated beside the store and deleted when the storage is full, so that the records the supervisor
    /// must not lose (end, stop, pid) still fit. Null: no reserve.
    /// </summary>
    public string? ReservePath { get; init; }

    public long ReserveBytes { get; init; } = DefaultReserveBytes;

    /// <summary>2 MiB: some hundreds of end records in the write-ahead log, and little enough for a small device.</summary>
    public const long DefaultReserveBytes = 2 * 1024 * 1024;
}
