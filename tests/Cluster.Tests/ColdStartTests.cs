using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Testing;

namespace ThrottleCluster.Cluster.Tests;

/// <summary>A silo just started takes a burst at once: its storage is ready before the first grain needs it.</summary>
[Collection(GarnetCollection.Name)]
public sealed class ColdStartTests(GarnetFixture garnet)
{
    [Fact]
    public async Task A_burst_of_calls_to_new_grains_on_a_fresh_silo_all_succeed()
    {
        await using var cluster = await ThrottleTestCluster.StartAsync(o =>
        {
            o.Silos = 1;
            o.Policy = SourceCounts.Unlimited;
            o.Configuration["Cluster:Provider"] = "Redis";
            o.Configuration["Cluster:Redis"] = garnet.Server.ConnectionString;
            o.Configuration["Cluster:RedisKeyPrefix"] = $"t{Guid.NewGuid():N}:";
        });

        var results = await Task.WhenAll(Enumerable.Range(0, 1000).Select(i => cluster.Grains.GetGrain<IIpGrain>($"cold-{i}").Reserve(0)));

        Assert.All(results, r => Assert.True(r.Granted));
    }
}
