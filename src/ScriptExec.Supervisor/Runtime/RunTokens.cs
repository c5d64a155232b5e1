using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using ScriptExec.Core;
using ScriptExec.Core.Crypto;

namespace ScriptExec.Supervisor.Runtime;

/// <summary>Whom a valid per-run token acts as: the execution it belongs to, its user and its role.</summary>
public sealed record RunTokenGrant(long ExecutionId, string UserName, Role Role);

/// <summary>
/// Per-run tokens (SPEC "Script runtime contract"): issued when a run starts, valid until it is revoked when the run
/// ends. Only their SHA-256 hashes are kept, and only in memory, so no token survives a daemon restart and none can be
/// read back from the daemon's memory or disk.
/// </summary>
/// <remarks>
/// A token is 32 random bytes, so hashing without salt or stretching is enough: nobody can guess a preimage.
/// Lookup is by hash, so the dictionary's timing can only leak facts about hashes of guesses, never about a valid
/// token; the final comparison is constant-time regardless.
/// </remarks>
public sealed class RunTokens
{
    /// <summary>Random bytes per token; base64url without padding makes 43 characters.</summary>
    public const int TokenBytes = 32;

    /// <summary>The length of every issued token; anything else is refused before hashing.</summary>
    public static readonly int TokenLength = Base64Url.GetEncodedLength(TokenBytes);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, (byte[] Hash, RunTokenGrant Grant)> _byHash = new(StringComparer.Ordinal);
    private readonly Dictionary<long, string> _hashByExecution = [];

    /// <summary>How many tokens are valid now (for status and tests).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _byHash.Count;
            }
        }
    }

    /// <summary>
    /// A new token for <paramref name="executionId"/>, to hand to the script once (stdin payload) and never store,
    /// log or return. Issuing again for the same execution revokes its previous token.
    /// </summary>
    public string Issue(long executionId, string userName, Role role)
    {
        ArgumentException.ThrowIfNullOrEmpty(userName);
        Span<byte> secret = stackalloc byte[TokenBytes];
        SecureRandom.Fill(secret);
        var token = Base64Url.EncodeToString(secret);
        CryptographicOperations.ZeroMemory(secret);

        var hash = Hash(token);
        var key = Convert.ToHexString(hash);
        lock (_gate)
        {
            RevokeLocked(executionId);
            _byHash[key] = (hash, new RunTokenGrant(executionId, userName, role));
            _hashByExecution[executionId] = key;
        }

        return token;
    }

    /// <summary>True with the grant when <paramref name="token"/> is a token issued and not yet revoked.</summary>
    public bool TryValidate(string? token, [NotNullWhen(true)] out RunTokenGrant? grant)
    {
        grant = null;
        if (token is null || token.Length != TokenLength)
        {
            return false;
        }

        var hash = Hash(token);
        lock (_gate)
        {
            if (!_byHash.TryGetValue(Convert.ToHexString(hash), out var entry) || !CryptographicOperations.FixedTimeEquals(entry.Hash, hash))
            {
                return false;
            }

            grant = entry.Grant;
            return true;
        }
    }

    /// <summary>True while the token <paramref name="grant"/> came from is valid: a connection it authenticated stops acting the moment the run ends.</summary>
    public bool IsValid(RunTokenGrant grant)
    {
        lock (_gate)
        {
            return _hashByExecution.TryGetValue(grant.ExecutionId, out var key)
                && _byHash.TryGetValue(key, out var entry) && ReferenceEquals(entry.Grant, grant);
        }
    }

    /// <summary>Makes the execution's token invalid at once; false when it had none (already revoked, or never issued).</summary>
    public bool Revoke(long executionId)
    {
        lock (_gate)
        {
            return RevokeLocked(executionId);
        }
    }

    private bool RevokeLocked(long executionId)
    {
        if (!_hashByExecution.Remove(executionId, out var key))
        {
            return false;
        }

        _byHash.Remove(key);
        return true;
    }

    private static byte[] Hash(string token) => Sha256.HashData(Encoding.ASCII.GetBytes(token));
}
