namespace ScriptExec.Rpc.Results;

/// <summary>
/// Who the connection acts as after <c>authenticate</c>: the user and role, and the run when it was a run's token
/// (left out for a configured WebSocket token).
/// </summary>
public sealed record AuthenticateResult(string User, string Role, long? ExecutionId);
