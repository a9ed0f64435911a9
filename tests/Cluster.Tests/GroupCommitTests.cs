using System.Collections.Concurrent;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Testing;

namespace ThrottleCluster.Cluster.Tests;

/// <summary>Group commit on one hot grain over a real Garnet, counted on a storage decorator.</summary>
[Collection(GarnetCollection.Name)]
public sealed class GroupCommitTests(GarnetFixture garnet)
{
    private const int Calls = 2000;

    [Fact]
    public async Task Concurrent_calls_to_one_grain_share_few_writes_and_every_call_is_in_the_stored_state()
    {
        WatchedStorage? storage = null;
        await using var cluster = await StartAsync(s => storage = new WatchedStorage(s));
        var ip = cluster.Grains.GetGrain<IIpGrain>("198.51.100.1");

        var results = await Task.WhenAll(Enumerable.Range(0, Calls).Select(_ => ip.Reserve(0)));

        Assert.All(results, r => Assert.True(r.Granted));
        Assert.Equal(Calls, await SourceCounts.StoredAsync(ip));
        Assert.True(storage!.Writes * 10 <= Calls, $"{storage.Writes} writes for {Calls} calls");
    }

    [Fact]
    public async Task A_failed_write_fails_exactly_the_callers_it_held_and_the_grain_goes_on_from_what_was_stored()
    {
        var attempted = new ConcurrentDictionary<int, long>();
        await using var cluster = await StartAsync(s => new WatchedStorage(s)
        {
            Fails = (write, state) =>
            {
                attempted[write] = SourceCounts.InWrite(state);
                // The first write holds the first call alone (the others arrive while it is in flight), the second the rest of the wave.
                return write == 2;
            },
        });
        var ip = cluster.Grains.GetGrain<IIpGrain>("198.51.100.2");

        var failing = await WaveAsync(ip);
        var after = await WaveAsync(ip);

        Assert.Equal(attempted[2] - attempted[1], failing.Failed);
        Assert.True(failing.Failed > 0, "the failed write held no caller");
        Assert.Equal(0, after.Failed);
        Assert.Equal(2 * Calls - failing.Failed, await SourceCounts.StoredAsync(ip));
    }

    private static async Task<(int Succeeded, int Failed)> WaveAsync(IIpGrain ip)
    {
        var outcomes = await Task.WhenAll(Enumerable.Range(0, Calls).Select(async _ =>
        {
            try
            {
                await ip.Reserve(0);
                return true;
            }
            catch (GrainStorageException)
            {
                return false;
            }
        }));
        return (outcomes.Count(ok => ok), outcomes.Count(ok => !ok));
    }

    private Task<ThrottleTestCluster> StartAsync(Func<Orleans.Storage.IGrainStorage, Orleans.Storage.IGrainStorage> decorate)
        => ThrottleTestCluster.StartAsync(o =>
        {
            o.Silos = 1;
            o.Policy = SourceCounts.Unlimited;
            o.Configuration["Cluster:Provider"] = "Redis";
            o.Configuration["Cluster:Redis"] = garnet.Server.ConnectionString;
            o.Configuration["Cluster:RedisKeyPrefix"] = $"t{Guid.NewGuid():N}:";
            o.DecorateStorage = decorate;
        });
}
