namespace ThrottleCluster.Hosting.Storage;

/// <summary>
/// ETags of the product's providers: 16 random hex characters per write. Random rather than counted,
/// so a state that expired and was written anew never repeats an ETag an old activation still holds.
/// Not cryptographic: an ETag only has to differ from the last one, it guards nothing from an
/// attacker (who never sees one), and every write makes one.
/// </summary>
internal static class ETags
{
    public const int Length = 16;

    public static string New()
    {
        Span<byte> random = stackalloc byte[Length / 2];
        Random.Shared.NextBytes(random);
        return Convert.ToHexStringLower(random);
    }
}
