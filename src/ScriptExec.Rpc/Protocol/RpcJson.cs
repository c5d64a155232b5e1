using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ScriptExec.Rpc.Protocol;

/// <summary>The JSON conventions of this API's params, results and notifications: snake_case names, nulls omitted.</summary>
public static class RpcJson
{
    /// <summary>Gets the shared, read-only serializer options; copy them (<c>new(RpcJson.Options)</c>) to vary.</summary>
    /// <remarks>
    /// The build-time <see cref="RpcJsonContext"/> serializes every type of the API. Where reflection is enabled (the
    /// JIT build, so tests can serve their own targets' types) it backs the context up; the native binary is published
    /// with reflection off, which also trims that branch away.
    /// </remarks>
    public static JsonSerializerOptions Options { get; } = Create();

    [UnconditionalSuppressMessage("Trimming", "IL2026:RequiresUnreferencedCode", Justification = "Only where reflection is enabled: the native build switches it off, and the branch is trimmed with it.")]
    [UnconditionalSuppressMessage("AOT", "IL3050:RequiresDynamicCode", Justification = "Only where reflection is enabled: the native build switches it off, and the branch is trimmed with it.")]
    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(RpcJsonContext.Default.Options)
        {
            TypeInfoResolver = JsonSerializer.IsReflectionEnabledByDefault
                ? JsonTypeInfoResolver.Combine(RpcJsonContext.Default, new DefaultJsonTypeInfoResolver())
                : RpcJsonContext.Default,
        };
        options.MakeReadOnly();
        return options;
    }
}
