using System.Text.Json;
using System.Text.Json.Nodes;

namespace ScriptExec.Rpc.Tests.Protocol;

/// <summary>Compares JSON by meaning: member order does not matter, nor the order of a batch reply's members.</summary>
internal static class JsonAssert
{
    public static void AreEqual(string? actual, string expected)
    {
        Assert.That(actual, Is.Not.Null);
        Assert.That(
            JsonNode.DeepEquals(JsonNode.Parse(actual!), JsonNode.Parse(expected)),
            Is.True,
            $"expected {Compact(expected)}{Environment.NewLine}but was  {actual}");
    }

    public static void BatchEquivalent(string? actual, string expected)
    {
        Assert.That(actual, Is.Not.Null);
        var remaining = JsonNode.Parse(actual!) is JsonArray array ? array.ToList() : null;
        Assert.That(remaining, Is.Not.Null, $"expected a batch reply (an array) but was {actual}");
        foreach (JsonNode? member in JsonNode.Parse(expected)!.AsArray())
        {
            int match = remaining!.FindIndex(m => JsonNode.DeepEquals(m, member));
            Assert.That(match, Is.GreaterThanOrEqualTo(0), $"missing {member?.ToJsonString()} in {actual}");
            remaining.RemoveAt(match);
        }

        Assert.That(remaining, Is.Empty, $"unexpected members in {actual}");
    }

    /// <summary>Gets the <c>id</c> of a reply exactly as it was written.</summary>
    public static string RawId(string reply)
    {
        using var document = JsonDocument.Parse(reply);
        return document.RootElement.GetProperty("id").GetRawText();
    }

    private static string Compact(string json) => JsonNode.Parse(json)!.ToJsonString();
}
