using ScriptExec.Store;
using ScriptExec.Supervisor;
using ScriptExec.Supervisor.Triggers;
using ScriptExec.Supervisor.Workflows;

namespace ScriptExec.Rpc.Sessions;

/// <summary>
/// What the JSON-RPC methods call, shared by every connection of every transport: the workflows for everything
/// that changes something (<see cref="Control"/>, <see cref="Catalog"/>), the stores and the supervisor's
/// in-memory view for reads. <see cref="BearerTokens"/>: the daemon's configured tokens, for <c>authenticate</c>
/// (none: only a run's token authenticates).
/// </summary>
public sealed record RpcBackend(
    ExecutionControl Control,
    ScriptCatalog Catalog,
    SqliteDatabase Database,
    ScriptStore Scripts,
    ExecutionStore Executions,
    OutputStore Output,
    ExecutionSupervisor Supervisor,
    TriggerEngine Triggers,
    ExecutionRetention Retention,
    RpcServerInfo Server,
    UnloadableRows Unloadable,
    IBearerTokens? BearerTokens = null);
