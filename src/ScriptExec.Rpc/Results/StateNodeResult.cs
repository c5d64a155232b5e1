using System.Text.Json.Nodes;

namespace ScriptExec.Rpc.Results;

/// <summary>A node of the state tree: <c>value</c> is absent when the node does not exist.</summary>
public sealed record StateNodeResult(string Xpath, JsonNode? Value);
