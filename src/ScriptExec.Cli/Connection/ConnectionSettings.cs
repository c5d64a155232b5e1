using ScriptExec.Cli.CommandLine;

namespace ScriptExec.Cli.Connection;

/// <summary>
/// Where the daemon is and how to prove who we are. The Unix socket is the default and needs no secret (the
/// kernel tells the daemon our user); <c>--url</c> selects the WebSocket, which needs the bearer token.
/// </summary>
internal sealed record ConnectionSettings(string SocketPath, Uri? Url, Func<string>? Token)
{
    /// <summary>Resolves flags, then SCRIPTEXEC_* environment variables, then the daemon's own defaults.</summary>
    public static ConnectionSettings From(ParsedArguments args, Func<string, string?> environment)
    {
        var dataDir = args.Value(GlobalOptions.DataDir) ?? environment("SCRIPTEXEC_DATA_DIR") ?? DaemonDefaults.DataDirectory(environment);
        var socket = args.Value(GlobalOptions.Socket) ?? environment("SCRIPTEXEC_SOCKET") ?? DaemonDefaults.SocketPath(dataDir, environment);
        var url = args.Value(GlobalOptions.Url) ?? environment("SCRIPTEXEC_URL");
        if (url is null)
        {
            return new ConnectionSettings(socket, null, null);
        }

        var token = args.Value(GlobalOptions.Token);
        var tokenFile = args.Value(GlobalOptions.TokenFile);
        if (token is not null && tokenFile is not null)
        {
            throw new UsageException("give either --token or --token-file, not both");
        }

        // Read lazily: a missing token file only matters once we actually connect.
        Func<string> resolveToken = token is not null ? () => token
            : tokenFile is not null ? () => ReadToken(tokenFile)
            : environment("SCRIPTEXEC_TOKEN") is { Length: > 0 } fromEnvironment ? () => fromEnvironment
            : () => ReadToken(Path.Combine(dataDir, "admin.token"));
        return new ConnectionSettings(socket, ParseUrl(url), resolveToken);
    }

    /// <summary>Where a connection goes, for messages.</summary>
    public string Describe() => Url?.ToString() ?? SocketPath;

    /// <summary>Accepts ws(s):// and http(s):// base URLs; a URL without a path means the daemon's <c>/rpc</c>.</summary>
    private static Uri ParseUrl(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("ws" or "wss" or "http" or "https"))
        {
            throw new UsageException($"--url: '{text}' is not a ws:// or wss:// URL such as ws://127.0.0.1:8765/rpc");
        }

        var builder = new UriBuilder(uri)
        {
            Scheme = uri.Scheme switch { "http" => "ws", "https" => "wss", _ => uri.Scheme },
        };
        if (builder.Path is "" or "/")
        {
            builder.Path = "/rpc";
        }

        return builder.Uri;
    }

    private static string ReadToken(string path)
    {
        try
        {
            var token = File.ReadAllText(path).Trim();
            return token.Length > 0 ? token : throw new DaemonUnavailableException($"the token file {path} is empty");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DaemonUnavailableException($"cannot read the token file {path}: {e.Message} (give --token, --token-file or SCRIPTEXEC_TOKEN)", e);
        }
    }
}
