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
}
