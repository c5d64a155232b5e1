using System.Text.Json;
using ScriptExec.Rpc.Results;
using ScriptExec.Core;
using StreamJsonRpc;

namespace ScriptExec.Rpc.Methods;

/// <summary>Live notifications of execution changes and output, for this connection only.</summary>
public sealed partial class RpcMethods
{
    [JsonRpcMethod("execution_subscribe", UseSingleObjectParameterDeserialization = true)]
    [RequiresRole(Role.Viewer)]
    public SubscriptionResult ExecutionSubscribe(JsonElement @params)
    {
        var (filter, output) = ReadSubscribeParams(@params);
        return new SubscriptionResult(_subscriptions.Add(filter, output));
    }

    /// <summary>Reads <c>execution_subscribe</c>'s params (also a message channel's configured events filter).</summary>
    /// <exception cref="InvalidParameterException">Naming the offending field.</exception>
    public static (ExecutionFilter Filter, bool Output) ReadSubscribeParams(JsonElement @params)
    {
        var p = ParamsReader.Of(@params);
        var filter = ExecutionFilterReader.ReadFilter(p.OptionalObject("filter"));
        var output = p.OptionalBool("output") ?? false;
        p.End();
        return (filter, output);
    }

    [JsonRpcMethod("execution_unsubscribe", UseSingleObjectParameterDeserialization = true)]
    [RequiresRole(Role.Viewer)]
    public EmptyResult ExecutionUnsubscribe(JsonElement @params)
    {
        var p = ParamsReader.Of(@params);
        var id = p.RequiredInteger("subscription_id", 0, long.MaxValue, "must be an unsigned integer");
        p.End();
        return _subscriptions.Remove(id)
            ? new EmptyResult()
            : throw new ScriptExecException(ErrorKind.NotFound, $"subscription {id} does not exist on this connection");
    }
}
