namespace ScriptExec.Daemon;

/// <summary>
/// The <c>metrics</c> section: <c>{"enabled": true, "listen": null}</c>. Enabled (the default), <c>GET /metrics</c>
/// is served on the WebSocket listener, or only on <c>listen</c> (an <c>http://IP:PORT</c> of its own) when given.
/// Disabled, no exporter is built at all: the instruments cost nothing and <c>/metrics</c> is 404.
/// </summary>
public sealed record MetricsOptions
{
    public const string Path = "/metrics";

    private static readonly string[] Keys = ["enabled", "listen"];

    public bool Enabled { get; init; } = true;

    /// <summary>A listener of its own for <c>/metrics</c> (plain http, IP address and port), or null for the WebSocket listener's.</summary>
    public Uri? Listen { get; init; }

    /// <summary>Reads and checks the section; <see cref="OptionsException"/> names a wrong or unknown key.</summary>
    public static MetricsOptions From(IConfigurationSection section)
    {
        foreach (var child in section.GetChildren())
        {
            if (!Keys.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                throw new OptionsException($"config: unknown key 'metrics.{child.Key}' (metrics has enabled and listen)");
            }
        }

        var enabled = section["enabled"] switch
        {
            null or "" => true,
            var text when bool.TryParse(text, out var value) => value,
            var text => throw new OptionsException($"metrics.enabled: '{text}' must be true or false"),
        };
        return new MetricsOptions { Enabled = enabled, Listen = ParseListen(section["listen"]) };
    }

    private static Uri? ParseListen(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme != "http" || uri.AbsolutePath != "/" || uri.IsDefaultPort
            || (uri.Host != "localhost" && !System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out _)))
        {
            throw new OptionsException($"metrics.listen: '{value}' is not an http://IP:PORT such as http://127.0.0.1:9464 (served at /metrics)");
        }

        return uri;
    }
}
