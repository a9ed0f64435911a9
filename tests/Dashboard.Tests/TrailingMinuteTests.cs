using ThrottleCluster.Hosting;

namespace ThrottleCluster.Dashboard.Tests;

public sealed class TrailingMinuteTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Trailing_minute_counts_what_a_total_grew_over_the_last_minute_of_samples()
    {
        var minute = new TrailingMinute();
        Assert.Equal(0, minute.Sample(Now, 10));
        Assert.Equal(5, minute.Sample(Now.AddSeconds(30), 15));
        Assert.Equal(12, minute.Sample(Now.AddSeconds(60), 22));
        // The sample at 0 s is now more than a minute old; the one at 30 s is the baseline.
        Assert.Equal(10, minute.Sample(Now.AddSeconds(90), 25));
        Assert.Equal(0, minute.Sample(Now.AddSeconds(300), 25));
    }
}
