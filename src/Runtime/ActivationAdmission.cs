using System.Runtime.CompilerServices;

namespace ThrottleCluster.Runtime;

/// <summary>
/// Decides whether a new activation is kept in memory after its calls are done: only once its grain
/// has been called before, recently. A flood asks once for each of a million accounts; kept, those
/// one-call activations would push out the grains that keep being asked for (sources, domains, the
/// global budget), and every one of them would be copied by the garbage collector as it aged.
/// </summary>
/// <remarks>
/// A Bloom filter (three bits per grain in a fixed array, no object per grain) remembers the grains
/// seen, and is cleared after as many new grains as the runtime keeps activations, so "recently"
/// means within the last <see cref="GrainRuntimeOptions.MaxActivations"/> new grains. A false
/// positive (~2 %) only keeps an activation that could have been dropped. The bits are set without
/// locks: a lost bit only means one more call is served by an activation that is dropped again.
/// </remarks>
internal sealed class ActivationAdmission(int window)
{
    private const int BitsPerGrain = 10;

    private readonly long[] _bits = new long[(int)Math.Min(Array.MaxLength, (long)window * BitsPerGrain / 64 + 1)];
    private int _seenSinceClear;

    /// <summary>True if <paramref name="id"/> was seen since the last clearing; remembers it either way.</summary>
    public bool SeenBefore(GrainId id)
    {
        var first = (uint)StringComparer.Ordinal.GetHashCode(id.Key);
        var second = (uint)HashCode.Combine(id.Kind, first) | 1u;
        var seen = true;
        for (uint i = 0; i < 3; i++)
            seen &= Set((first + i * second) % ((ulong)_bits.Length * 64));
        if (!seen && Interlocked.Increment(ref _seenSinceClear) >= window)
        {
            Array.Clear(_bits);
            Volatile.Write(ref _seenSinceClear, 0);
        }
        return seen;
    }

    // Returns whether the bit was already set.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Set(ulong bit)
    {
        var mask = 1L << (int)(bit & 63);
        ref var word = ref _bits[bit >> 6];
        return (Volatile.Read(ref word) & mask) != 0 || (Interlocked.Or(ref word, mask) & mask) != 0;
    }
}
