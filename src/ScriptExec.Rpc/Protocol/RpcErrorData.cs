namespace ScriptExec.Rpc.Protocol;

/// <summary>The <c>error.data</c> object of every error this API reports: the offending field, if any, and a reason.</summary>
/// <param name="Field">The parameter at fault (dotted path), for <c>-32602</c>; omitted otherwise.</param>
/// <param name="Reason">Why the field was rejected, or the stable snake_case reason of an application error.</param>
/// <param name="Storage">For <c>1007 unavailable</c>: <c>full</c>, <c>read_only</c> or <c>io_error</c>; omitted otherwise.</param>
public sealed record RpcErrorData(string? Field, string Reason, string? Storage = null);
