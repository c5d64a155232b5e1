using System.Text.Json;
using ScriptExec.Core;
using StreamJsonRpc;

namespace ScriptExec.Rpc.Methods;

/// <summary>Starting and stopping instances.</summary>
public sealed partial class ScriptExecApi
{
    [JsonRpcMethod("script_start", UseSingleObjectParameterDeserialization = true)]
    public async Task<ControlResult> ScriptStartAsync(JsonElement @params, CancellationToken cancellationToken)
    {
        Caller.Require(Role.Operator, "script_start");
        var p = ParamsReader.Of(@params);
        var scriptName = p.RequiredName("script_name");
        var instanceName = p.RequiredName("instance_name");
        var arguments = ReadArguments(p);
        p.End();
        RequireInstance(scriptName, instanceName);
        var execution = await Supervisor.StartAsync(scriptName, instanceName, Trigger.Manual(Caller.UserName), arguments, cancellationToken);
        return new ControlResult(Overview(), ExecutionDto.From(execution));
    }

    [JsonRpcMethod("script_stop", UseSingleObjectParameterDeserialization = true)]
    public async Task<ControlResult> ScriptStopAsync(JsonElement @params, CancellationToken cancellationToken)
    {
        Caller.Require(Role.Operator, "script_stop");
        var p = ParamsReader.Of(@params);
        var scriptName = p.RequiredName("script_name");
        var instanceName = p.RequiredName("instance_name");
        var force = p.OptionalBool("force") ?? false;
        p.End();
        RequireInstance(scriptName, instanceName);
        var execution = await Supervisor.StopAsync(scriptName, instanceName, Trigger.Manual(Caller.UserName), force, cancellationToken);
        return new ControlResult(Overview(), ExecutionDto.From(execution));
    }

    [JsonRpcMethod("script_execution_rerun", UseSingleObjectParameterDeserialization = true)]
    public async Task<ControlResult> ScriptExecutionRerunAsync(JsonElement @params, CancellationToken cancellationToken)
    {
        Caller.Require(Role.Operator, "script_execution_rerun");
        var p = ParamsReader.Of(@params);
        var id = p.RequiredInteger("execution_id", 0, long.MaxValue, "must be an unsigned integer");
        p.End();
        var previous = Executions.Get(id) ?? throw new ScriptExecException(ErrorKind.NotFound, $"execution {id} does not exist");
        RequireInstance(previous.ScriptName, previous.InstanceName);

        // The recorded arguments, even if the instance's configuration has changed since (StackStorm's re-run).
        var execution = await Supervisor.StartAsync(
            previous.ScriptName, previous.InstanceName, Trigger.Manual(Caller.UserName), previous.Arguments ?? string.Empty, cancellationToken);
        return new ControlResult(Overview(), ExecutionDto.From(execution));
    }
}
