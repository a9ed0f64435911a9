namespace ThrottleCluster.Api.Tests.Support;

/// <summary>A clock the test moves; timers still run on real time.</summary>
public sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public ManualTime() : this(new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero)) { }

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
