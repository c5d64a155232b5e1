using System.Security.Cryptography;
using System.Text;
using ScriptExec.Core;
using ScriptExec.Core.Crypto;
using ScriptExec.Rpc.Sessions;

namespace ScriptExec.Daemon;

/// <summary>A configured bearer token: its user, role, and SHA-256 (the token itself is never stored).</summary>
public sealed record TokenEntry(string User, Role Role, byte[] Sha256);

/// <summary>
/// WebSocket bearer tokens. Configured tokens are kept as SHA-256 hashes and every presented token is compared
/// against all of them in constant time. With none configured, an admin token is generated at first start into
/// <c>&lt;data-dir&gt;/admin.token</c> (mode 0600) for the CLI and local tools, and is the only way in.
/// </summary>
public sealed class TokenAuthenticator : IBearerTokens
{
    private readonly IReadOnlyList<TokenEntry> _tokens;

    private TokenAuthenticator(IReadOnlyList<TokenEntry> tokens, string? generatedPath)
    {
        _tokens = tokens;
        GeneratedTokenPath = generatedPath;
    }

    /// <summary>The generated admin token's file, or null when tokens are configured.</summary>
    public string? GeneratedTokenPath { get; }

    public static TokenAuthenticator Create(DaemonOptions options) =>
        options.Tokens.Count > 0
            ? new TokenAuthenticator(options.Tokens, null)
            : new TokenAuthenticator([new TokenEntry("admin", Role.Admin, Hash(LoadOrCreate(options.AdminTokenPath)))], options.AdminTokenPath);

    /// <summary>The user and role of a presented token, or null when it matches none.</summary>
    public (string User, Role Role)? Authenticate(string? presented)
    {
        if (string.IsNullOrEmpty(presented))
        {
            return null;
        }

        var hash = Hash(presented);
        (string, Role)? match = null;
        foreach (var token in _tokens)
        {
            // Compare against every entry, so the time taken does not tell which (or whether one) matched.
            if (CryptographicOperations.FixedTimeEquals(hash, token.Sha256))
            {
                match = (token.User, token.Role);
            }
        }

        return match;
    }

    public static byte[] Hash(string token) => Sha256.HashData(Encoding.UTF8.GetBytes(token));

    private static string LoadOrCreate(string path)
    {
        if (!File.Exists(path))
        {
            var token = Convert.ToHexStringLower(SecureRandom.GetBytes(32));
            using var stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            stream.Write(Encoding.ASCII.GetBytes(token + "\n"));
        }

        var text = File.ReadAllText(path).Trim();
        return text.Length >= 16
            ? text
            : throw new OptionsException($"the token in {path} is shorter than 16 characters; delete the file to generate a new one");
    }
}
