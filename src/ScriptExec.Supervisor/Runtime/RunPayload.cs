using System.Text.Json;

namespace ScriptExec.Supervisor.Runtime;

/// <summary>
/// The JSON object written to a script's stdin at start (SPEC "Script runtime contract"): who it is, where it works,
/// and how to call the daemon back with its own token. <c>workdir</c>, <c>socket</c> and <c>url</c> are left out
/// when the daemon has none.
/// </summary>
public sealed record RunPayload(
    long ExecutionId, string ScriptName, string InstanceName, string User, string? Workdir, string Token, string? Socket, string? Url)
{
    /// <summary>The payload as one line of UTF-8 JSON, ending in a newline (so line-reading shells see a whole line).</summary>
    public static byte[] Write(RunPayload payload)
    {
        using var buffer = new MemoryStream(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("execution_id"u8, payload.ExecutionId);
            writer.WriteString("script_name"u8, payload.ScriptName);
            writer.WriteString("instance_name"u8, payload.InstanceName);
            writer.WriteString("user"u8, payload.User);
            WriteIfSet(writer, "workdir"u8, payload.Workdir);
            writer.WriteString("token"u8, payload.Token);
            WriteIfSet(writer, "socket"u8, payload.Socket);
            WriteIfSet(writer, "url"u8, payload.Url);
            writer.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static void WriteIfSet(Utf8JsonWriter writer, ReadOnlySpan<byte> name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }
}
