using System.Text;
using ScriptExec.Core.Crypto;

namespace ScriptExec.Core;

/// <summary>A stored script: its current source and the content hash that names that version.</summary>
public sealed record ScriptDefinition(string Name, string Source, string Version, string? Description, long UpdatedTimestamp)
{
    /// <summary>The version of a source: the first 16 hex digits of its SHA-256, stable across restarts and machines.</summary>
    public static string VersionOf(string source)
    {
        Span<byte> hash = stackalloc byte[Sha256.HashSizeInBytes];
        Sha256.HashData(Encoding.UTF8.GetBytes(source), hash);
        return Convert.ToHexStringLower(hash[..8]);
    }
}
