using System.Text.Json;
using System.Text.Json.Serialization;
using ScriptExec.Cli.Output;

namespace ScriptExec.Cli.Connection;

/// <summary>
/// Every type the CLI reads from or writes as JSON, with serializers generated at compile time: the native
/// binary has no reflection-based JSON (JsonSerializerIsReflectionEnabledByDefault is off), so a type missing
/// here fails at once instead of silently costing startup time.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(WireExecution))]
[JsonSerializable(typeof(WireExecutions))]
[JsonSerializable(typeof(WireOutputPage))]
[JsonSerializable(typeof(WireOverview))]
[JsonSerializable(typeof(WireScript))]
[JsonSerializable(typeof(WireExecutionChanged))]
[JsonSerializable(typeof(WireExecutionOutput))]
[JsonSerializable(typeof(JsonOutputLine))]
internal sealed partial class CliJsonContext : JsonSerializerContext;

/// <summary>
/// <c>--json</c> output: the daemon's result as it came, indented for people and <c>jq</c>. The same writer
/// settings the reflection-based serializer used (two spaces, default escaping), so the bytes do not change.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonNode))]
internal sealed partial class IndentedJsonContext : JsonSerializerContext;
