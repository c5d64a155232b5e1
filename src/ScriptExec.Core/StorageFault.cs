namespace ScriptExec.Core;

/// <summary>Why the store refused a write: what an operator has to fix before writes succeed again.</summary>
public enum StorageFault
{
    /// <summary>The file system holding the data directory is full.</summary>
    Full,

    /// <summary>The store or its file system is read-only.</summary>
    ReadOnly,

    /// <summary>The file system reported an I/O error.</summary>
    IoError,
}

/// <summary>Wire names of <see cref="StorageFault"/>, as <c>error.data.storage</c> and <c>status.store.last_error</c> spell them.</summary>
public static class StorageFaults
{
    public static string ToWire(this StorageFault fault) => fault switch
    {
        StorageFault.Full => "full",
        StorageFault.ReadOnly => "read_only",
        StorageFault.IoError => "io_error",
        _ => throw new ArgumentOutOfRangeException(nameof(fault), fault, null),
    };

    /// <summary>What the operator reads in a message or log line.</summary>
    public static string Describe(this StorageFault fault) => fault switch
    {
        StorageFault.Full => "storage full",
        StorageFault.ReadOnly => "storage read-only",
        StorageFault.IoError => "storage I/O error",
        _ => throw new ArgumentOutOfRangeException(nameof(fault), fault, null),
    };
}
