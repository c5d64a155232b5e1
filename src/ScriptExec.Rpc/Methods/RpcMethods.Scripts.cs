using System.Text.Json;
using ScriptExec.Core;
using ScriptExec.Rpc.Results;
using ScriptExec.Supervisor.Workflows;
using StreamJsonRpc;

namespace ScriptExec.Rpc.Methods;

/// <summary>Scripts: params in, <see cref="ScriptCatalog"/>, the script out.</summary>
public sealed partial class RpcMethods
{
    [JsonRpcMethod("script_set", UseSingleObjectParameterDeserialization = true)]
    [RequiresRole(Role.Admin)]
    public async Task<ScriptDto> ScriptSetAsync(JsonElement @params, CancellationToken cancellationToken)
    {
        var p = ParamsReader.Of(@params);
        var name = p.RequiredName("name");
        // A script may be as large as a message carries (max_message_bytes bounds it).
        var source = p.RequiredString("source", int.MaxValue);
        var description = p.OptionalString("description");
        p.End();
        var script = await _backend.Catalog.SetScriptAsync(name, source, description, cancellationToken);
        return ScriptDto.From(script, withSource: false);
    }

    [JsonRpcMethod("script_get", UseSingleObjectParameterDeserialization = true)]
    [RequiresRole(Role.Viewer)]
    public ScriptDto ScriptGet(JsonElement @params)
    {
        var p = ParamsReader.Of(@params);
        var name = p.RequiredName("name");
        p.End();
        return ScriptDto.From(Catalog.RequireScript(Scripts, name), withSource: true);
    }

    [JsonRpcMethod("script_delete", UseSingleObjectParameterDeserialization = true)]
    [RequiresRole(Role.Admin)]
    public async Task<EmptyResult> ScriptDeleteAsync(JsonElement @params, CancellationToken cancellationToken)
    {
        var p = ParamsReader.Of(@params);
        var name = p.RequiredName("name");
        p.End();
        await _backend.Catalog.DeleteScriptAsync(name, cancellationToken);
        return new EmptyResult();
    }
}
