namespace ThrottleCluster.Hosting;

/// <summary>
/// How much a monotonic total grew over the last minute, from samples taken every few seconds:
/// cheap enough to read at any time, and exact to the sampling interval.
/// </summary>
public sealed class TrailingMinute
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly Queue<(DateTimeOffset At, long Total)> _samples = new();

    /// <summary>Adds a sample and returns the growth since the newest sample at least a minute old (or the first, when younger).</summary>
    public long Sample(DateTimeOffset now, long total)
    {
        _samples.Enqueue((now, total));
        // Keep one sample at or beyond the window's start as the baseline.
        while (_samples.Count > 1 && _samples.ElementAt(1).At <= now - Window) _samples.Dequeue();
        return total - _samples.Peek().Total;
    }
}
