using System.Text.Json;

namespace ScriptExec.Cli.Connection;

/// <summary>Reads wire results into the records of ReplyShapes.cs; a shape mismatch is a protocol error.</summary>
internal static class ReplyReader
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public static T Read<T>(JsonElement element, string what)
        where T : class
    {
        try
        {
            return element.Deserialize<T>(Options) ?? throw new ProtocolException($"{what}: the daemon returned null");
        }
        catch (JsonException e)
        {
            throw new ProtocolException($"{what}: unexpected result shape: {e.Message}", e);
        }
    }
}
