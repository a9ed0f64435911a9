using System.Numerics;

namespace ThrottleCluster.Grains;

/// <summary>A 256-bit set.</summary>
public readonly record struct Bits256(ulong A, ulong B, ulong C, ulong D)
{
    public int Count => BitOperations.PopCount(A) + BitOperations.PopCount(B) + BitOperations.PopCount(C) + BitOperations.PopCount(D);

    public bool Has(int bit) => (Word(bit) & Mask(bit)) != 0;

    public Bits256 With(int bit, bool on)
    {
        var word = on ? Word(bit) | Mask(bit) : Word(bit) & ~Mask(bit);
        return (bit >> 6) switch
        {
            0 => this with { A = word },
            1 => this with { B = word },
            2 => this with { C = word },
            _ => this with { D = word },
        };
    }

    public Bits256 Or(Bits256 other) => new(A | other.A, B | other.B, C | other.C, D | other.D);

    private ulong Word(int bit) => (bit >> 6) switch { 0 => A, 1 => B, 2 => C, 3 => D, _ => throw new ArgumentOutOfRangeException(nameof(bit)) };

    private static ulong Mask(int bit) => 1UL << (bit & 63);
}

/// <summary>
/// Distinct accounts a source asked for over a sliding window: a linear-counting bitmap per aligned
/// window (32 bytes each, a few percent error up to ~200 accounts), previous window weighted like
/// <see cref="SlidingCount"/>. Only set membership is kept, never the accounts.
/// </summary>
public readonly record struct DistinctSketch(long Start, Bits256 Previous, Bits256 Current)
{
    public const int Size = 256;

    private static int BitOf(ulong accountHash) => (int)(accountHash >> 56);

    public DistinctSketch At(long t, long w)
    {
        var start = t - t % w;
        if (start <= Start) return this;
        return start - Start == w ? new(start, Current, default) : new(start, default, default);
    }

    /// <summary>The sketch with the account added, and the bit it newly set (-1 if already set).</summary>
    public (DistinctSketch Sketch, int NewBit) Add(ulong accountHash)
    {
        var bit = BitOf(accountHash);
        return Current.Has(bit) ? (this, -1) : (this with { Current = Current.With(bit, true) }, bit);
    }

    public DistinctSketch Remove(long at, int bit, long w)
    {
        var start = at - at % w;
        if (start == Start) return this with { Current = Current.With(bit, false) };
        if (start == Start - w) return this with { Previous = Previous.With(bit, false) };
        return this;
    }

    /// <summary>
    /// Estimated distinct accounts over the window ending at t (call on <see cref="At"/>'s result),
    /// rounded down: for a few accounts that is the exact count, where linear counting alone
    /// would already read 3.02 for three.
    /// </summary>
    public double Estimate(long t, long w)
    {
        var current = LinearCount(Current);
        var weight = (double)(w - Math.Clamp(t - Start, 0, w)) / w;
        if (weight == 0 || double.IsPositiveInfinity(current)) return Math.Floor(current);
        return Math.Floor(current + (LinearCount(Current.Or(Previous)) - current) * weight);
    }

    public long Expires(long w) => Previous.Count == 0 && Current.Count == 0 ? 0 : Start + 2 * w;

    private static double LinearCount(Bits256 bits)
    {
        var zeros = Size - bits.Count;
        return zeros == 0 ? double.PositiveInfinity : Size * Math.Log((double)Size / zeros);
    }
}
