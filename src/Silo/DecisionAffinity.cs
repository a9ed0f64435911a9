using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Runtime.Client;

namespace ThrottleCluster.Silo;

/// <summary>
/// Which silo should decide for a client: the one ranking first for the client's network, so the
/// ip and network grains a source touches stay on one silo and never meet a compare-and-set
/// conflict from another. Any silo gives the same answer; this only saves conflicts.
/// </summary>
public static class DecisionAffinity
{
    /// <returns>Silo indexes in the order to try them; a malformed address gets the list as is (the silo will refuse it).</returns>
    public static int[] Order(IReadOnlyList<string> silos, string clientIp)
    {
        try
        {
            return RendezvousHash.Rank(silos, ThrottleKeys.Network(clientIp));
        }
        catch (ArgumentException)
        {
            return Enumerable.Range(0, silos.Count).ToArray();
        }
    }
}
