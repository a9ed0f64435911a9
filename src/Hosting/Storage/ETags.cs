using System.Security.Cryptography;

namespace ThrottleCluster.Hosting.Storage;

/// <summary>
/// ETags of the product's providers: 16 random hex characters per write. Random rather than counted,
/// so a state that expired and was written anew never repeats an ETag an old activation still holds.
/// </summary>
internal static class ETags
{
    public const int Length = 16;

    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(Length / 2));
}
