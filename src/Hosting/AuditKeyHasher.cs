using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ThrottleCluster.Hosting;

/// <summary>
/// Turns accounts, addresses and ranges into audit keys: HMAC-SHA256 truncated to 64 bits, hex.
/// The same target gives the same key on every silo sharing <c>Throttle:AccountHashSecret</c>, so
/// entries can be correlated; without the secret the raw login or address cannot be recovered or
/// confirmed by hashing guesses.
/// </summary>
public sealed class AuditKeyHasher
{
    private readonly byte[] _key;

    public AuditKeyHasher(ulong secret)
    {
        // Derived, not the secret itself: an audit key must not help attack the distinct-account sketches.
        var secretBytes = new byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(secretBytes, secret);
        _key = HMACSHA256.HashData(secretBytes, "throttle-audit-keys"u8);
    }

    public string Hash(string normalizedKey)
    {
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(normalizedKey), mac);
        return Convert.ToHexStringLower(mac[..8]);
    }
}
