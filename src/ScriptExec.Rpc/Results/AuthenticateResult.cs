namespace ScriptExec.Rpc.Results;

/// <summary>Who the connection acts as after <c>authenticate</c>: the run's user, the instance's role, and the run.</summary>
public sealed record AuthenticateResult(string User, string Role, long ExecutionId);
