using System.Collections.Frozen;
using System.Reflection;
using ScriptExec.Core;
using ScriptExec.Rpc.Protocol;
using ScriptExec.Supervisor.Runtime;
using StreamJsonRpc;

namespace ScriptExec.Rpc.Methods;

/// <summary>
/// Every JSON-RPC method of <see cref="RpcMethods"/> with the role it requires, read once from the attributes; a
/// method without <see cref="RequiresRoleAttribute"/> fails the daemon's start, so none can be left open by mistake.
/// </summary>
public static class MethodRoles
{
    /// <summary>Wire name → least role, for every method.</summary>
    public static FrozenDictionary<string, Role> All { get; } = typeof(RpcMethods)
        .GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)
        .Select(m => (Method: m, Name: m.GetCustomAttribute<JsonRpcMethodAttribute>()?.Name))
        .Where(m => m.Name is not null)
        .ToFrozenDictionary(
            m => m.Name!,
            m => m.Method.GetCustomAttribute<RequiresRoleAttribute>()?.Role
                ?? throw new InvalidOperationException($"JSON-RPC method {m.Name} ({m.Method.Name}) declares no [RequiresRole]"),
            StringComparer.Ordinal);

    /// <summary>The method names, as the front layer needs them to tell unknown methods.</summary>
    public static IReadOnlySet<string> Names { get; } = All.Keys.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Checks one connection's caller against each request's method before it is dispatched.</summary>
    /// <remarks>A caller a run's token authenticated keeps its role only while that run lasts.</remarks>
    public static IMethodGate GateFor(Func<CallerIdentity> caller, RunTokens tokens) => new RoleGate(caller, tokens);

    private sealed class RoleGate(Func<CallerIdentity> caller, RunTokens tokens) : IMethodGate
    {
        public MethodRefusal? Check(string method)
        {
            var current = caller();
            if (!All.TryGetValue(method, out var required))
            {
                return null;
            }

            if (current.RunToken is { } grant && !tokens.IsValid(grant) && required > Role.None)
            {
                return Refuse($"{method}: the token of execution {grant.ExecutionId} is no longer valid (the run has ended)");
            }

            return current.Role >= required
                ? null
                : Refuse($"{method} needs the {required.ToWire()} role; {current.UserName} has {current.Role.ToWire()}");
        }

        private static MethodRefusal Refuse(string message)
        {
            var (code, reason) = RpcErrorCodes.ForKind(ErrorKind.Forbidden);
            return new MethodRefusal(code, message, new RpcErrorData(Field: null, reason));
        }
    }
}
