using System.Text.Json.Serialization;

namespace ScriptExec.Store;

/// <summary>Source-generated JSON for the few values the store keeps as JSON text.</summary>
[JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(Dictionary<string, long?>))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, int?>))]
[JsonSerializable(typeof(int[]))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(string[][]))]
[JsonSerializable(typeof(StoredRestart))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class StoreJson : JsonSerializerContext;
