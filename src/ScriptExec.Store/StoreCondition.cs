using ScriptExec.Core;

namespace ScriptExec.Store;

/// <summary>What <c>status</c> reports about the store's writability.</summary>
/// <param name="Writable">False from the first refused write until a write succeeds again.</param>
/// <param name="Since">When the current unwritable episode began; null while writable.</param>
/// <param name="LastError">The condition of the last refused write; null while writable.</param>
/// <param name="RefusedWrites">Writes of requests and triggers refused since the daemon started.</param>
/// <param name="LostOutputLines">Captured lines the store refused since the daemon started.</param>
public sealed record StoreCondition(bool Writable, DateTimeOffset? Since, StorageFault? LastError, long RefusedWrites, long LostOutputLines);
