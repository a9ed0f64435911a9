namespace ThrottleCluster.Grains;

/// <summary>
/// Grain time: whole seconds since 2020-01-01 UTC. Seconds are all the rules need, and they keep
/// stored timestamps to four bytes. Grains never assume time is monotonic: silos' clocks differ.
/// </summary>
public static class GrainTime
{
    public static readonly DateTimeOffset Epoch = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static long Seconds(DateTimeOffset time)
    {
        var seconds = (time - Epoch).Ticks / TimeSpan.TicksPerSecond;
        if (seconds < 0 || seconds > uint.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(time), time, $"Grain time must lie between {Epoch:O} and {ToTime(uint.MaxValue):O}.");
        return seconds;
    }

    /// <summary>For budgets metered finer than a second; only ever compared, never stored as four bytes.</summary>
    public static long Microseconds(DateTimeOffset time) => Seconds(time) * 1_000_000 + (time - Epoch).Ticks % TimeSpan.TicksPerSecond / 10;

    public static long Seconds(TimeSpan span) => span.Ticks / TimeSpan.TicksPerSecond;

    public static DateTimeOffset ToTime(long seconds) => Epoch.AddSeconds(seconds);

    public static TimeSpan Until(long seconds, DateTimeOffset now) => ToTime(seconds) - now;

    /// <summary>Time from <paramref name="now"/> until the latest of <paramref name="seconds"/> (a span: on the stack, not a new array per write).</summary>
    public static TimeSpan UntilLatest(ReadOnlySpan<long> seconds, DateTimeOffset now)
    {
        var latest = long.MinValue;
        foreach (var s in seconds) latest = Math.Max(latest, s);
        return Until(latest, now);
    }
}
