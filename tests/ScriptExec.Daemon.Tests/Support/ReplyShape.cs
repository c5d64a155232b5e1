using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ScriptExec.Daemon.Tests.Support;

/// <summary>Checks that a message from the daemon is well-formed JSON-RPC 2.0, whatever it was sent.</summary>
public static partial class ReplyShape
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // Deeper than System.Text.Json's default of 64: a state value stored at the input's depth limit comes back
    // nested a few levels deeper in its reply, and that is still JSON.
    private static readonly JsonDocumentOptions Deep = new() { MaxDepth = 1000 };

    /// <summary>Null when <paramref name="message"/> is a well-formed response, batch response or notification; else what is wrong.</summary>
    public static string? Problem(byte[] message)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(message);
        }
        catch (DecoderFallbackException)
        {
            return "not UTF-8";
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text, documentOptions: Deep);
        }
        catch (JsonException)
        {
            return "not JSON";
        }

        switch (node)
        {
            case JsonArray batch when batch.Count == 0:
                return "an empty batch reply";
            case JsonArray batch:
                return batch.Select(ResponseProblem).FirstOrDefault(p => p is not null);
            case JsonObject notification when notification.ContainsKey("method") && !notification.ContainsKey("id"):
                return Version(notification) ?? (notification["method"] is JsonValue m && m.GetValueKind() == JsonValueKind.String ? null : "a notification without a method name");
            default:
                return ResponseProblem(node);
        }
    }

    /// <summary>Parses a message <see cref="Problem"/> found nothing wrong with.</summary>
    public static JsonNode? Parse(byte[] message) => JsonNode.Parse(message, documentOptions: Deep);

    private static string? ResponseProblem(JsonNode? node)
    {
        if (node is not JsonObject response)
        {
            return "a response that is not an object";
        }

        if (Version(response) is { } version)
        {
            return version;
        }

        if (!response.TryGetPropertyValue("id", out JsonNode? id)
            || id?.GetValueKind() is not (null or JsonValueKind.String or JsonValueKind.Number))
        {
            return "a response without a string, number or null id";
        }

        bool hasResult = response.ContainsKey("result");
        bool hasError = response.ContainsKey("error");
        if (hasResult == hasError)
        {
            return "a response with both or neither of result and error";
        }

        if (hasResult)
        {
            return null;
        }

        if (response["error"] is not JsonObject error)
        {
            return "an error that is not an object";
        }

        if (error["code"] is not JsonValue code || code.GetValueKind() != JsonValueKind.Number || !code.TryGetValue(out int _))
        {
            return "an error without an integer code";
        }

        if (error["message"] is not JsonValue message || message.GetValueKind() != JsonValueKind.String)
        {
            return "an error without a message";
        }

        string text = message.GetValue<string>();
        return text.Contains("Exception", StringComparison.Ordinal) || StackFrame().IsMatch(text)
            ? "an error message with internals: " + text
            : null;
    }

    private static string? Version(JsonObject message) =>
        message["jsonrpc"] is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == "2.0"
            ? null
            : "no \"jsonrpc\": \"2.0\"";

    // "   at Namespace.Type.Method(" or "in /path/File.cs:line 12".
    [GeneratedRegex(@"\bat [\w.`<>\[\],]+\.[\w`<>]+\(|\.cs:line \d")]
    private static partial Regex StackFrame();
}
