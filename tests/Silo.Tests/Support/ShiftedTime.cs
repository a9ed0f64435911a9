namespace ThrottleCluster.Silo.Tests.Support;

/// <summary>The system clock moved forward by <see cref="Offset"/>, to age what a host has recorded.</summary>
public sealed class ShiftedTime : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;
}
