using ScriptExec.Core;

namespace ScriptExec.Rpc.Methods;

/// <summary>The least role a caller needs for a JSON-RPC method; declared once, beside its <c>[JsonRpcMethod]</c>.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class RequiresRoleAttribute : Attribute
{
    public RequiresRoleAttribute(Role role)
    {
        Role = role;
    }

    public Role Role { get; }
}
