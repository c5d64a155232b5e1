using System.Text.Json;
using System.Text.Json.Serialization;

namespace ScriptExec.Rpc.Protocol;

/// <summary>The JSON conventions of this API's params, results and notifications: snake_case names and enums, nulls omitted.</summary>
public static class RpcJson
{
    /// <summary>Gets the shared, read-only serializer options; copy them (<c>new(RpcJson.Options)</c>) to vary.</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DictionaryKeyPolicy = null,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
