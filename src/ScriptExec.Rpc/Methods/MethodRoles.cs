using System.Collections.Frozen;
using System.Reflection;
using ScriptExec.Core;
using ScriptExec.Rpc.Protocol;
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
    public static IMethodGate GateFor(Func<CallerIdentity> caller) => new RoleGate(caller);

    private sealed class RoleGate(Func<CallerIdentity> caller) : IMethodGate
    {
        public MethodRefusal? Check(string method)
        {
            var current = caller();
            if (!All.TryGetValue(method, out var required) || current.Role >= required)
            {
                return null;
            }

            var refused = new ScriptExecException(ErrorKind.Forbidden,
                $"{method} needs the {required.ToWire()} role; {current.UserName} has {current.Role.ToWire()}");
            var (code, reason) = RpcErrorCodes.ForKind(refused.Kind);
            return new MethodRefusal(code, refused.Message, new RpcErrorData(Field: null, reason));
        }
    }
}
