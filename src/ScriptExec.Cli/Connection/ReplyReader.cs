using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ScriptExec.Cli.Connection;

/// <summary>Reads wire results into the records of ReplyShapes.cs; a shape mismatch is a protocol error.</summary>
internal static class ReplyReader
{
    /// <summary>Reads <paramref name="element"/> as <typeparamref name="T"/>, e.g. with <c>CliJsonContext.Default.WireScript</c>.</summary>
    public static T Read<T>(JsonElement element, JsonTypeInfo<T> shape, string what)
        where T : class
    {
        try
        {
            return element.Deserialize(shape) ?? throw new ProtocolException($"{what}: the daemon returned null");
        }
        catch (JsonException e)
        {
            throw new ProtocolException($"{what}: unexpected result shape: {e.Message}", e);
        }
    }
}
