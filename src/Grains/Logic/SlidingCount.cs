namespace ThrottleCluster.Grains;

/// <summary>
/// A count over a sliding window of <c>w</c> seconds, estimated from two aligned fixed windows
/// (the previous one weighted by how much of it the sliding window still covers). Constant size,
/// unlike a log of timestamps; the weighting avoids the double burst a fixed window allows at its edge.
/// </summary>
/// <param name="Start">Start of the current window (grain seconds, a multiple of w).</param>
public readonly record struct SlidingCount(long Start, long Previous, long Current)
{
    /// <summary>Rolled forward to the window holding <paramref name="t"/>; an earlier t stays in the current window.</summary>
    public SlidingCount At(long t, long w)
    {
        var start = t - t % w;
        if (start <= Start) return this;
        return start - Start == w ? new(start, Current, 0) : new(start, 0, 0);
    }

    public SlidingCount Add() => this with { Current = Current + 1 };

    /// <summary>Takes back one unit counted at <paramref name="at"/>, if its window is still held.</summary>
    public SlidingCount Remove(long at, long w)
    {
        var start = at - at % w;
        if (start == Start && Current > 0) return this with { Current = Current - 1 };
        if (start == Start - w && Previous > 0) return this with { Previous = Previous - 1 };
        return this;
    }

    /// <summary>Whether one more unit at t keeps the estimate within <paramref name="limit"/> (call on <see cref="At"/>'s result).</summary>
    public bool Fits(long t, long w, long limit) => Scaled(t, w) + w <= limit * w;

    /// <summary>Estimated count over the window ending at t.</summary>
    public double Estimate(long t, long w) => (double)Scaled(t, w) / w;

    /// <summary>Seconds from t until one more unit fits, if nothing else is counted meanwhile.</summary>
    public long WaitUntilFits(long t, long w, long limit)
    {
        if (Fits(t, w, limit)) return 0;
        var room = limit - Current - 1;
        // Fits once Previous * (w - elapsed) <= room * w, in this window or else in the next.
        var ready = room >= 0
            ? Start + w - room * w / Previous
            : Start + 2 * w - (limit - 1) * w / Current;
        return Math.Max(1, ready - t);
    }

    /// <summary>After this time the count no longer affects anything.</summary>
    public long Expires(long w) => Previous == 0 && Current == 0 ? 0 : Start + 2 * w;

    // Exact integer form of the estimate times w.
    private long Scaled(long t, long w) => Previous * (w - Math.Clamp(t - Start, 0, w)) + Current * w;
}
