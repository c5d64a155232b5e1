using System.Text.Json;
using ScriptExec.Rpc.Results;
using ScriptExec.Core;
using StreamJsonRpc;

namespace ScriptExec.Rpc.Methods;

/// <summary>Execution history: seed 000's query, output lines, and filter options.</summary>
public sealed partial class RpcMethods
{
    [JsonRpcMethod("script_execution_get", UseSingleObjectParameterDeserialization = true)]
    [RequiresRole(Role.Viewer)]
    public ExecutionsResult ScriptExecutionGet(JsonElement @params)
    {
        var p = ParamsReader.Of(@params);
        var filter = ExecutionFilterReader.ReadFilter(p.OptionalObject("filter"));
        var page = ExecutionFilterReader.ReadPagination(p.RequiredObject("pagination"));
        p.End();
        return new ExecutionsResult([.. Executions.Query(filter, page).Select(ExecutionDto.From)]);
    }

    [JsonRpcMethod("script_execution_output_get", UseSingleObjectParameterDeserialization = true)]
    [RequiresRole(Role.Viewer)]
    public OutputResult ScriptExecutionOutputGet(JsonElement @params)
    {
        var p = ParamsReader.Of(@params);
        var filter = p.RequiredObject("filter");
        var id = filter.RequiredInteger("execution_id", 0, long.MaxValue, "must be an unsigned integer");
        var streams = filter.OptionalArray("streams", (e, path) => ParamsReader.ReadString(e, path) switch
        {
            "stdout" => OutputStreamKind.Stdout,
            "stderr" => OutputStreamKind.Stderr,
            _ => throw new InvalidParameterException(path, "must be stdout or stderr"),
        });
        filter.End();
        var pagination = p.RequiredObject("pagination");
        var limit = (int)pagination.RequiredInteger("limit", 1, Pagination.MaxLimit, "must be between 1 and 1000");
        var after = pagination.OptionalInteger("id_exclusive", 0, long.MaxValue, "must be an unsigned integer") ?? 0;
        pagination.End();
        p.End();

        var execution = Executions.Get(id)
            ?? throw new ScriptExecException(ErrorKind.NotFound, $"execution {id} does not exist");
        var distinct = streams?.Distinct().ToArray();
        var lines = distinct is { Length: 1 }
            ? _backend.Output.Read(id, after, limit, distinct[0])
            : distinct is { Length: 0 } ? [] : _backend.Output.Read(id, after, limit);
        return new OutputResult(ExecutionDto.From(execution), [.. lines.Select(LineDto.From)]);
    }

    [JsonRpcMethod("script_execution_filter_options_get", UseSingleObjectParameterDeserialization = true)]
    [RequiresRole(Role.Viewer)]
    public FilterOptionsResult ScriptExecutionFilterOptionsGet(JsonElement @params)
    {
        var p = ParamsReader.Of(@params);
        var includeOutdated = p.OptionalBool("include_outdated") ?? false;
        p.End();
        return FilterOptionsResult.From(Executions.FilterOptions(includeOutdated));
    }
}
