namespace ScriptExec.Rpc.Protocol;

/// <summary>
/// Decides, before a request of an existing method is dispatched, whether this connection may call it (the
/// method layer's roles). A refusal is answered by the front layer itself; the method never runs.
/// </summary>
public interface IMethodGate
{
    /// <summary>Null to dispatch the request; otherwise the error it is answered with.</summary>
    MethodRefusal? Check(string method);
}

/// <summary>The error a refused request is answered with.</summary>
public sealed record MethodRefusal(int Code, string Message, RpcErrorData Data);
