using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using ScriptExec.Rpc.Results;
using ScriptExec.Rpc.Protocol;
using ScriptExec.Supervisor;

namespace ScriptExec.Rpc.Sessions;

/// <summary>
/// The <c>lines</c> of an <c>execution_output</c> notification, as JSON serialized once per captured batch and shared by
/// every subscriber's notification: with many subscribers, each costs a copy of the bytes, not a serialization.
/// </summary>
[JsonConverter(typeof(Converter))]
public sealed class SharedLinesJson
{
    // Keyed by the batch itself, so an entry lives exactly as long as some queue still holds the batch.
    private static readonly ConditionalWeakTable<CapturedOutput, byte[][]> Serialized = new();

    public SharedLinesJson(IReadOnlyList<byte[]> lines)
    {
        Lines = lines;
    }

    /// <summary>Each line as one JSON object, UTF-8.</summary>
    public IReadOnlyList<byte[]> Lines { get; }

    /// <summary>The batch's lines as JSON objects (as <see cref="LineDto"/> serializes), computed by the first caller.</summary>
    public static byte[][] Of(CapturedOutput output) =>
        Serialized.GetValue(output, static o => [.. o.Lines.Select(l => JsonSerializer.SerializeToUtf8Bytes(LineDto.From(l), RpcJsonContext.Default.LineDto))]);

    internal sealed class Converter : JsonConverter<SharedLinesJson>
    {
        public override SharedLinesJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("execution_output lines are only ever written");

        public override void Write(Utf8JsonWriter writer, SharedLinesJson value, JsonSerializerOptions options)
        {
            writer.WriteStartArray();
            foreach (var line in value.Lines)
            {
                // Written by the serializer above, with the same options: no need to validate again.
                writer.WriteRawValue(line, skipInputValidation: true);
            }

            writer.WriteEndArray();
        }
    }
}
