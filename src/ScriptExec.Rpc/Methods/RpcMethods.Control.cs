using System.Text.Json;
using ScriptExec.Core;
using ScriptExec.Rpc.Results;
using StreamJsonRpc;

namespace ScriptExec.Rpc.Methods;

/// <summary>Starting and stopping instances: params in, <see cref="Supervisor.Workflows.ExecutionControl"/>, the overview out.</summary>
public sealed partial class RpcMethods
{
    [JsonRpcMethod("script_start", UseSingleObjectParameterDeserialization = true)]
    [RequiresRole(Role.Operator)]
    public async Task<ControlResult> ScriptStartAsync(JsonElement @params, CancellationToken cancellationToken)
    {
        var p = ParamsReader.Of(@params);
        var scriptName = p.RequiredName("script_name");
        var instanceName = p.RequiredName("instance_name");
        var arguments = ReadArguments(p);
        p.End();
        var execution = await _backend.Control.StartAsync(scriptName, instanceName, Trigger.Manual(Caller.UserName), arguments, cancellationToken);
        return new ControlResult(Overview(), ExecutionDto.From(execution));
    }

    [JsonRpcMethod("script_stop", UseSingleObjectParameterDeserialization = true)]
    [RequiresRole(Role.Operator)]
    public async Task<ControlResult> ScriptStopAsync(JsonElement @params, CancellationToken cancellationToken)
    {
        var p = ParamsReader.Of(@params);
        var scriptName = p.RequiredName("script_name");
        var instanceName = p.RequiredName("instance_name");
        var force = p.OptionalBool("force") ?? false;
        p.End();
        var execution = await _backend.Control.StopAsync(scriptName, instanceName, Trigger.Manual(Caller.UserName), force, cancellationToken);
        return new ControlResult(Overview(), ExecutionDto.From(execution));
    }

    [JsonRpcMethod("script_execution_rerun", UseSingleObjectParameterDeserialization = true)]
    [RequiresRole(Role.Operator)]
    public async Task<ControlResult> ScriptExecutionRerunAsync(JsonElement @params, CancellationToken cancellationToken)
    {
        var p = ParamsReader.Of(@params);
        var id = p.RequiredInteger("execution_id", 0, long.MaxValue, "must be an unsigned integer");
        p.End();
        var execution = await _backend.Control.RerunAsync(id, Trigger.Manual(Caller.UserName), cancellationToken);
        return new ControlResult(Overview(), ExecutionDto.From(execution));
    }
}
