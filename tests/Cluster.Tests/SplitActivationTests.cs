using System.Collections.Concurrent;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Testing;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Cluster.Tests;

/// <summary>
/// Two activations of one grain at once, as Orleans allows briefly while membership changes: two
/// clusters (2 silos and 1) over one store, each with its own activation of the same ip grain, both
/// called concurrently. ETags are the safety net: the stored count ends equal to the calls that
/// succeeded, none lost and none applied twice.
/// </summary>
public abstract class SplitActivationTests
{
    private const int CallsPerCluster = 400;

    protected abstract void UseStore(ThrottleTestClusterOptions options, string store);

    [Fact]
    public async Task Two_activations_of_one_grain_spend_exactly_the_calls_that_succeeded()
    {
        var store = $"t{Guid.NewGuid():N}";
        var storages = new ConcurrentBag<WatchedStorage>();
        await using var first = await StartAsync(2, store, storages);
        await using var second = await StartAsync(1, store, storages);
        var key = first.Keys.Ip("203.0.113.50");
        // Both activations read "nothing stored" before either writes, so their first writes collide.
        await Task.WhenAll(first.Grains.GetGrain<IIpGrain>(key).Peek(), second.Grains.GetGrain<IIpGrain>(key).Peek());

        var outcomes = await Task.WhenAll(
            CallAsync(first.Grains.GetGrain<IIpGrain>(key)),
            CallAsync(second.Grains.GetGrain<IIpGrain>(key)));

        var succeeded = outcomes.Sum(o => o.Succeeded);
        Assert.Equal(succeeded, await SourceCounts.StoredAsync(first.Grains.GetGrain<IIpGrain>(key)));
        Assert.Equal(succeeded, await SourceCounts.StoredAsync(second.Grains.GetGrain<IIpGrain>(key)));
        // The two activations really did race, and a call only ever failed as contended.
        Assert.True(storages.Sum(s => s.Conflicts) > 0, "no write lost a race: the activations did not contend");
        Assert.All(outcomes.SelectMany(o => o.Errors), e => Assert.IsType<GrainContendedException>(e));
        Assert.True(succeeded > CallsPerCluster, $"only {succeeded} of {2 * CallsPerCluster} calls succeeded");
    }

    private Task<ThrottleTestCluster> StartAsync(short silos, string store, ConcurrentBag<WatchedStorage> storages)
        => ThrottleTestCluster.StartAsync(o =>
        {
            o.Silos = silos;
            o.Policy = SourceCounts.Unlimited;
            UseStore(o, store);
            o.DecorateStorage = s =>
            {
                var watched = new WatchedStorage(s);
                storages.Add(watched);
                return watched;
            };
        });

    private static async Task<(int Succeeded, List<Exception> Errors)> CallAsync(IIpGrain grain)
    {
        var errors = new ConcurrentBag<Exception>();
        var succeeded = 0;
        // Waves of concurrent calls, so each activation keeps writing batches against the other's.
        for (var wave = 0; wave < 20; wave++)
        {
            await Task.WhenAll(Enumerable.Range(0, CallsPerCluster / 20).Select(async _ =>
            {
                try
                {
                    await grain.Reserve(0);
                    Interlocked.Increment(ref succeeded);
                }
                catch (Exception e)
                {
                    errors.Add(e);
                }
            }));
        }
        return (succeeded, errors.ToList());
    }
}

[Collection(GarnetCollection.Name)]
public sealed class GarnetSplitActivationTests(GarnetFixture garnet) : SplitActivationTests
{
    protected override void UseStore(ThrottleTestClusterOptions options, string store)
    {
        options.Configuration["Cluster:Provider"] = "Redis";
        options.Configuration["Cluster:Redis"] = garnet.Server.ConnectionString;
        options.Configuration["Cluster:RedisKeyPrefix"] = store + ":";
    }
}

[Collection(AzuriteCollection.Name)]
public sealed class AzuriteSplitActivationTests(AzuriteFixture azurite) : SplitActivationTests
{
    protected override void UseStore(ThrottleTestClusterOptions options, string store)
    {
        options.Configuration["Cluster:Provider"] = "AzureStorage";
        options.Configuration["Cluster:AzureStorage"] = azurite.Server.ConnectionString;
        options.Configuration["Cluster:StateTable"] = store;
    }
}
