using Microsoft.Extensions.Time.Testing;
using ThrottleCluster.Api.Dashboard;

namespace ThrottleCluster.Dashboard.Tests;

public sealed class DecayingTopListTests
{
    private static readonly TimeSpan HalfLife = TimeSpan.FromMinutes(5);

    [Fact]
    public void Weights_count_sightings_and_halve_every_half_life()
    {
        var time = new FakeTimeProvider();
        var list = new DecayingTopList(10, HalfLife, time);
        for (var i = 0; i < 8; i++) list.Add("a");
        list.Add("b");

        Assert.Equal([("a", 8.0), ("b", 1.0)], list.Top(5));
        time.Advance(HalfLife);
        Assert.Equal(4.0, list.Top(1)[0].Weight, precision: 9);
        time.Advance(HalfLife);
        list.Add("a");
        Assert.Equal(3.0, list.Top(1)[0].Weight, precision: 9);
    }

    [Fact]
    public void Memory_stays_bounded_and_a_heavy_key_survives_a_churn_of_new_ones()
    {
        var time = new FakeTimeProvider();
        var list = new DecayingTopList(100, HalfLife, time);
        for (var i = 0; i < 50; i++) list.Add("203.0.113.0/24");
        for (var i = 0; i < 20_000; i++)
        {
            list.Add($"10.{i >> 8 & 0xff}.{i & 0xff}.0/24");
            if (i % 200 == 0) list.Add("203.0.113.0/24");
        }

        Assert.Equal(100, list.Count);
        Assert.Equal("203.0.113.0/24", list.Top(1)[0].Key);
    }

    [Fact]
    public void Days_of_quiet_neither_overflow_the_weights_nor_keep_forgotten_keys()
    {
        var time = new FakeTimeProvider();
        var list = new DecayingTopList(10, HalfLife, time);
        list.Add("old.example");
        for (var hour = 0; hour < 72; hour++)
        {
            time.Advance(TimeSpan.FromHours(1));
            list.Add("busy.example");
        }

        var top = list.Top(10);
        Assert.Equal("busy.example", Assert.Single(top).Key);
        Assert.True(double.IsFinite(top[0].Weight) && top[0].Weight is > 1 and < 1.01, $"weight {top[0].Weight}");
    }
}
