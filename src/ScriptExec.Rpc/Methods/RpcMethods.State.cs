using System.Text.Json;
using System.Text.Json.Nodes;
using ScriptExec.Rpc.Results;
using ScriptExec.Core;
using ScriptExec.Core.Triggers;
using StreamJsonRpc;

namespace ScriptExec.Rpc.Methods;

/// <summary>The state tree that xpath triggers watch.</summary>
public sealed partial class RpcMethods
{
    [JsonRpcMethod("state_set", UseSingleObjectParameterDeserialization = true)]
    [RequiresRole(Role.Operator)]
    public StateNodeResult StateSet(JsonElement @params)
    {
        var p = ParamsReader.Of(@params);
        var path = ReadPath(p);
        var raw = p.OptionalRaw("value");
        p.End();
        if (path.Segments.Count > StateTree.MaxDepth)
        {
            throw new InvalidParameterException("xpath", $"must have at most {StateTree.MaxDepth} segments");
        }

        if (raw is { } nested)
        {
            CheckValue(path, nested);
        }

        var value = raw is { } element ? JsonNode.Parse(element.GetRawText()) : null;
        try
        {
            _backend.Triggers.SetState(path, value);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidParameterException("xpath", e.Message);
        }

        return new StateNodeResult(path.Text, _backend.Triggers.GetState(path));
    }

    [JsonRpcMethod("state_get", UseSingleObjectParameterDeserialization = true)]
    [RequiresRole(Role.Viewer)]
    public StateNodeResult StateGet(JsonElement @params)
    {
        var p = ParamsReader.Of(@params);
        var path = ReadPath(p);
        p.End();
        return new StateNodeResult(path.Text, _backend.Triggers.GetState(path));
    }

    private const int MaxValueDepth = 32;

    /// <summary>
    /// Bounds what one write can add, so the stored tree always loads again at the next start: its nesting under
    /// the path (the tree nests path and value together) and its size (the tree is rewritten on every change).
    /// </summary>
    private static void CheckValue(StatePath path, JsonElement value)
    {
        var depth = StateTree.DepthOf(value);
        if (depth > MaxValueDepth)
        {
            // Stored under its path, a deeper value would come back nested beyond what common JSON parsers accept.
            throw new InvalidParameterException("value", $"must nest at most {MaxValueDepth} levels deep");
        }

        if (StateTree.DepthProblem(path, depth) is { } problem)
        {
            throw new InvalidParameterException("value", problem);
        }

        if (StateTree.ByteCount(value.GetRawText()) is var size && size > StateTree.MaxValueBytes)
        {
            throw new InvalidParameterException("value", $"is {size} bytes of JSON, over the limit of {StateTree.MaxValueBytes} bytes");
        }
    }

    private static StatePath ReadPath(ParamsReader p) =>
        StatePath.TryParse(p.RequiredString("xpath"), out var path) ? path : throw new InvalidParameterException("xpath", StatePath.Rule);
}
