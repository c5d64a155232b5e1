using System.Text.Json;
using System.Text.Json.Serialization;
using ScriptExec.Rpc.Results;

namespace ScriptExec.Rpc.Protocol;

/// <summary>
/// Serialization code for every type this API puts on the wire, generated at build time: the native binary has no
/// reflection-based serializer. Each method's result and each notification's params is a root; what they contain
/// comes along. A type missing here fails the <c>RpcJsonContextTests</c>, and in the native binary every call that
/// returns it.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(RpcErrorData))]
[JsonSerializable(typeof(AuthenticateResult))]
[JsonSerializable(typeof(ControlResult))]
[JsonSerializable(typeof(EmptyResult))]
[JsonSerializable(typeof(ExecutionsResult))]
[JsonSerializable(typeof(FilterOptionsResult))]
[JsonSerializable(typeof(InstanceDto))]
[JsonSerializable(typeof(OutputResult))]
[JsonSerializable(typeof(OverviewResult))]
[JsonSerializable(typeof(ScriptDto))]
[JsonSerializable(typeof(StateNodeResult))]
[JsonSerializable(typeof(StatusResult))]
[JsonSerializable(typeof(SubscriptionResult))]
[JsonSerializable(typeof(LineDto))]
[JsonSerializable(typeof(ExecutionChangedNotification))]
[JsonSerializable(typeof(ExecutionDroppedNotification))]
[JsonSerializable(typeof(ExecutionOutputNotification))]
[JsonSerializable(typeof(RestartGaveUpNotification))]
public sealed partial class RpcJsonContext : JsonSerializerContext;
