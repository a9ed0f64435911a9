namespace ThrottleCluster.Runtime.Client;

/// <summary>
/// Highest-random-weight ordering of silos for a grain: every client ranks silos the same way
/// for the same grain, and removing a silo only moves the grains it ranked first.
/// </summary>
public static class RendezvousHash
{
    public static int[] Rank(IReadOnlyList<string> nodes, string key)
    {
        var keyHash = Fnv1a(key);
        var scores = new ulong[nodes.Count];
        var order = new int[nodes.Count];
        for (var i = 0; i < nodes.Count; i++)
        {
            scores[i] = Mix(Fnv1a(nodes[i]) ^ keyHash);
            order[i] = i;
        }
        Array.Sort(order, (a, b) => scores[b].CompareTo(scores[a]));
        return order;
    }

    // Stable across processes, unlike string.GetHashCode: every client must agree.
    private static ulong Fnv1a(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }
        return hash;
    }

    // SplitMix64 finalizer: XOR of two FNV hashes is not well spread on its own.
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
