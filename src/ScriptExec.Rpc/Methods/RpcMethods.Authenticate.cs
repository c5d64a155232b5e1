using System.Text.Json;
using ScriptExec.Core;
using ScriptExec.Rpc.Results;
using StreamJsonRpc;

namespace ScriptExec.Rpc.Methods;

/// <summary>
/// A token presented on an open connection: a running script's (stdin payload) makes the connection act as that run;
/// a configured WebSocket token (the management page's login: browsers cannot send a header on a WebSocket) as its user.
/// </summary>
public sealed partial class RpcMethods
{
    /// <remarks>
    /// Open to every connected caller (a Unix peer with no role included): the token is the credential. From here on
    /// the connection has the token's user and role (a run's: until the run ends).
    /// </remarks>
    [JsonRpcMethod("authenticate", UseSingleObjectParameterDeserialization = true)]
    [RequiresRole(Role.None)]
    public AuthenticateResult Authenticate(JsonElement @params)
    {
        var p = ParamsReader.Of(@params);
        var token = p.RequiredString("token", 256);
        p.End();
        if (Supervisor.Tokens.TryValidate(token, out var grant))
        {
            Caller = CallerIdentity.ForRun(grant, Caller.Transport);
            return new AuthenticateResult(grant.UserName, grant.Role.ToWire(), grant.ExecutionId);
        }

        if (_backend.BearerTokens?.Authenticate(token) is var (user, role))
        {
            Caller = new CallerIdentity(user, Caller.Transport, role);
            return new AuthenticateResult(user, role.ToWire(), null);
        }

        throw new ScriptExecException(ErrorKind.Forbidden, "authenticate: the token is not valid (unknown, or its run has ended)");
    }
}
