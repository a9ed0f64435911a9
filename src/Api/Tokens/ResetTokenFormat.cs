using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using ThrottleCluster.Api.Accounts;
using ThrottleCluster.Grains.Abstractions.ResetTokens;

namespace ThrottleCluster.Api.Tokens;

/// <summary>
/// A reset token as the user gets it: <c>&lt;base64url(UTF-8 account id)&gt;.&lt;base64url(32 random bytes)&gt;</c>,
/// URL-safe and unpadded. The first part names the account's reset-token grain (it is that grain's
/// key), so verifying needs no index from token to account; it reveals the account id only to
/// whoever holds the token, i.e. the mailbox owner. The second part is the secret: 256 bits from
/// <see cref="RandomNumberGenerator"/>, of which only the SHA-256 hash is stored.
/// </summary>
public static class ResetTokenFormat
{
    public const int SecretBytes = 32;
    public static readonly int SecretChars = Base64Url.GetEncodedLength(SecretBytes); // 43
    public static readonly int MaxKeyChars = Base64Url.GetEncodedLength(AccountRules.MaxAccountIdBytes);
    public static readonly int MaxLength = MaxKeyChars + 1 + SecretChars;

    /// <summary>The grain key for an account: base64url of its id, so any id makes a valid key.</summary>
    public static string GrainKey(string accountId) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(accountId));

    /// <summary>A new token for the account, and the hash to store for it.</summary>
    public static (string Token, byte[] Hash) Create(string accountId)
    {
        Span<byte> secret = stackalloc byte[SecretBytes];
        RandomNumberGenerator.Fill(secret);
        try
        {
            return ($"{GrainKey(accountId)}.{Base64Url.EncodeToString(secret)}", SHA256.HashData(secret));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>Splits a presented token into its grain key, account id and secret hash; false for anything malformed.</summary>
    public static bool TryParse(string? token, out string grainKey, out string accountId, out byte[] hash)
    {
        try
        {
            return TryParseCore(token, out grainKey, out accountId, out hash);
        }
        catch (FormatException)
        {
            // Base64Url.IsValid lets a few spellings through that DecodeFromChars then refuses.
            grainKey = accountId = "";
            hash = [];
            return false;
        }
    }

    private static bool TryParseCore(string? token, out string grainKey, out string accountId, out byte[] hash)
    {
        grainKey = accountId = "";
        hash = [];
        if (token is null || token.Length < 2 + SecretChars || token.Length > MaxLength) return false;
        var dot = token.IndexOf('.');
        if (dot <= 0 || token.Length - dot - 1 != SecretChars) return false;
        var keyPart = token.AsSpan(0, dot);
        var secretPart = token.AsSpan(dot + 1);
        if (!Base64Url.IsValid(keyPart, out var idLength) || idLength == 0 || idLength > AccountRules.MaxAccountIdBytes) return false;
        if (!Base64Url.IsValid(secretPart, out var secretLength) || secretLength != SecretBytes) return false;

        var idBytes = new byte[idLength];
        if (Base64Url.DecodeFromChars(keyPart, idBytes) != idLength) return false;
        string id;
        try
        {
            id = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(idBytes);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        if (AccountRules.CheckAccountId(id) is not null) return false;
        // One spelling per account: unused trailing bits must not make a second key for the same id.
        var canonical = GrainKey(id);
        if (!keyPart.SequenceEqual(canonical)) return false;

        Span<byte> secret = stackalloc byte[SecretBytes];
        if (Base64Url.DecodeFromChars(secretPart, secret) != SecretBytes || !secretPart.SequenceEqual(Base64Url.EncodeToString(secret)))
        {
            CryptographicOperations.ZeroMemory(secret);
            return false;
        }
        hash = SHA256.HashData(secret);
        CryptographicOperations.ZeroMemory(secret);
        grainKey = canonical;
        accountId = id;
        return hash.Length == IResetTokenGrain.HashLength;
    }
}
