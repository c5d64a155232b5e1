using System.Text.Json;
using ScriptExec.Core;
using StreamJsonRpc;

namespace ScriptExec.Rpc.Methods;

/// <summary>Reading one instance's configuration back, for UIs and the CLI to edit it.</summary>
public sealed partial class ScriptExecApi
{
    [JsonRpcMethod("script_instance_get", UseSingleObjectParameterDeserialization = true)]
    public InstanceDto ScriptInstanceGet(JsonElement @params)
    {
        Caller.Require(Role.Viewer, "script_instance_get");
        var p = ParamsReader.Of(@params);
        var scriptName = p.RequiredName("script_name");
        var instanceName = p.RequiredName("instance_name");
        p.End();

        // Secret values come back as the mask (the store masks them unless asked by the spawn path).
        return InstanceDto.From(RequireInstance(scriptName, instanceName));
    }
}
