using System.Security.Cryptography;
using System.Text;

namespace ThrottleCluster.Hosting;

public static class Secrets
{
    /// <summary>Constant-time and length-independent, so timing reveals nothing of the secret.</summary>
    public static bool Match(string given, string expected)
        => CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
