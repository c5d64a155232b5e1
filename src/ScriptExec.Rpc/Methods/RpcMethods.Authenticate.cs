using System.Text.Json;
using ScriptExec.Core;
using ScriptExec.Rpc.Results;
using StreamJsonRpc;

namespace ScriptExec.Rpc.Methods;

/// <summary>A running script's way back in: its token (stdin payload) makes the connection act as that run.</summary>
public sealed partial class RpcMethods
{
    /// <remarks>
    /// Open to every connected caller (a Unix peer with no role included): the token is the credential. From here on
    /// the connection has the instance's configured role and the run's user, until the run ends.
    /// </remarks>
    [JsonRpcMethod("authenticate", UseSingleObjectParameterDeserialization = true)]
    [RequiresRole(Role.None)]
    public AuthenticateResult Authenticate(JsonElement @params)
    {
        var p = ParamsReader.Of(@params);
        var token = p.RequiredString("token", 256);
        p.End();
        if (!Supervisor.Tokens.TryValidate(token, out var grant))
        {
            throw new ScriptExecException(ErrorKind.Forbidden, "authenticate: the token is not valid (unknown, or its run has ended)");
        }

        Caller = CallerIdentity.ForRun(grant, Caller.Transport);
        return new AuthenticateResult(grant.UserName, grant.Role.ToWire(), grant.ExecutionId);
    }
}
