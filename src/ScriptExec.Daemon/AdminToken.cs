using System.Security.Cryptography;
using System.Text;

namespace ScriptExec.Daemon;

/// <summary>
/// The WebSocket bearer token. With none configured, one is generated at first start into
/// <c>&lt;data-dir&gt;/admin.token</c> (mode 0600) for the CLI and local tools to read. Only its SHA-256 is kept
/// in memory, and presented tokens are compared in constant time.
/// </summary>
public sealed class AdminToken
{
    private readonly byte[] _hash;

    private AdminToken(byte[] hash, string path)
    {
        _hash = hash;
        FilePath = path;
    }

    public string FilePath { get; }

    /// <summary>Reads the token file, creating it with a fresh random token when it does not exist.</summary>
    public static AdminToken LoadOrCreate(string path)
    {
        if (!File.Exists(path))
        {
            var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
            using (var stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                stream.Write(Encoding.ASCII.GetBytes(token + "\n"));
            }
        }

        var text = File.ReadAllText(path).Trim();
        if (text.Length < 16)
        {
            throw new OptionsException($"the token in {path} is shorter than 16 characters; delete the file to generate a new one");
        }

        return new AdminToken(SHA256.HashData(Encoding.UTF8.GetBytes(text)), path);
    }

    public bool Matches(string? presented)
    {
        if (string.IsNullOrEmpty(presented))
        {
            return false;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        return CryptographicOperations.FixedTimeEquals(hash, _hash);
    }
}
