using System.Text.Json;
using Microsoft.Extensions.Primitives;

namespace ScriptExec.Daemon;

/// <summary>
/// Strict reading of the <c>--config</c> JSON file, as the command line is strict: a key the daemon does not read
/// (a typo such as <c>allowed_origin</c> or <c>token</c>, or a field nested where none belongs) stops the start with
/// a message naming it, instead of being ignored while the setting it was meant to change keeps its default.
/// </summary>
internal static class ConfigFileKeys
{
    private static readonly string[] TokenFields = ["user", "role", "sha256"];

    /// <summary>Throws <see cref="OptionsException"/> naming the first key of <paramref name="path"/> that nothing reads.</summary>
    /// <param name="read">The top-level keys <see cref="DaemonOptions.From"/> read, as recorded by <see cref="Recorder"/>.</param>
    public static void Check(string path, Recorder read)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new OptionsException($"config: {path} is not valid JSON: {e.Message}");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new OptionsException($"config: {path} must hold one JSON object of settings");
            }

            foreach (var setting in document.RootElement.EnumerateObject())
            {
                CheckSetting(setting, read);
            }
        }
    }

    private static void CheckSetting(JsonProperty setting, Recorder read)
    {
        var key = setting.Name;
        var value = setting.Value;
        switch (key.ToLowerInvariant())
        {
            case "tokens":
                var i = 0;
                foreach (var entry in ArrayOf(key, value))
                {
                    var entryKey = $"tokens[{i++}]";
                    if (entry.ValueKind != JsonValueKind.Object)
                    {
                        throw new OptionsException($"config: {entryKey} must be an object {{user, role, sha256}}");
                    }

                    foreach (var field in entry.EnumerateObject())
                    {
                        if (!TokenFields.Contains(field.Name, StringComparer.OrdinalIgnoreCase))
                        {
                            throw Unknown($"{entryKey}.{field.Name}", "a token entry has user, role and sha256");
                        }

                        RequireScalar($"{entryKey}.{field.Name}", field.Value);
                    }
                }

                return;
            case "allowed_origins":
                var j = 0;
                foreach (var origin in ArrayOf(key, value))
                {
                    if (origin.ValueKind != JsonValueKind.String)
                    {
                        throw new OptionsException($"config: allowed_origins[{j}] must be an origin string such as https://ui.example");
                    }

                    j++;
                }

                return;
            case "unix_roles":
                if (value.ValueKind != JsonValueKind.Object)
                {
                    throw new OptionsException("config: unix_roles must be an object of group name: viewer, operator or admin");
                }

                foreach (var group in value.EnumerateObject())
                {
                    if (group.Value.ValueKind == JsonValueKind.Object && group.Value.EnumerateObject().FirstOrDefault() is { Name: { } nested })
                    {
                        throw Unknown($"unix_roles.{group.Name}.{nested}", "unix_roles maps a group name to viewer, operator or admin");
                    }

                    RequireScalar($"unix_roles.{group.Name}", group.Value);
                }

                return;
        }

        if (read.Sections.Contains(key))
        {
            // A section another part of the daemon reads whole; its own reader checks its fields.
            return;
        }

        if (!read.Values.Contains(key))
        {
            throw Unknown(key, "see scriptexecd --help and docs for the settings");
        }

        RequireScalar(key, value);
    }

    private static JsonElement.ArrayEnumerator ArrayOf(string key, JsonElement value) =>
        value.ValueKind == JsonValueKind.Array ? value.EnumerateArray() : throw new OptionsException($"config: {key} must be an array");

    private static void RequireScalar(string key, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Object && value.EnumerateObject().FirstOrDefault() is { Name: { } nested })
        {
            throw Unknown($"{key}.{nested}", $"{key} takes a single value");
        }

        if (value.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
        {
            throw new OptionsException($"config: {key} takes a single value, not an {(value.ValueKind == JsonValueKind.Array ? "array" : "object")}");
        }
    }

    private static OptionsException Unknown(string key, string hint) => new($"config: unknown key '{key}' ({hint})");

    /// <summary>
    /// Passes configuration reads through and records the keys asked for, so every option
    /// <see cref="DaemonOptions.From"/> reads is known here without a second list to keep in step.
    /// </summary>
    public sealed class Recorder : IConfiguration
    {
        private readonly IConfiguration _inner;

        public Recorder(IConfiguration inner)
        {
            _inner = inner;
        }

        /// <summary>Keys read as single values.</summary>
        public HashSet<string> Values { get; } = new(StringComparer.OrdinalIgnoreCase);

        /// <summary>Keys read as sections (objects or arrays).</summary>
        public HashSet<string> Sections { get; } = new(StringComparer.OrdinalIgnoreCase);

        public string? this[string key]
        {
            get
            {
                Values.Add(key);
                return _inner[key];
            }

            set => _inner[key] = value;
        }

        public IConfigurationSection GetSection(string key)
        {
            Sections.Add(key);
            return _inner.GetSection(key);
        }

        public IEnumerable<IConfigurationSection> GetChildren() => _inner.GetChildren();

        public IChangeToken GetReloadToken() => _inner.GetReloadToken();
    }
}
