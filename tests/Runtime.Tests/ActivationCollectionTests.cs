using ThrottleCluster.Runtime.Storage;

namespace ThrottleCluster.Runtime.Tests;

/// <summary>Collection of kept activations; every activation is kept here (what is kept at all: <see cref="ActivationAdmissionTests"/>).</summary>
public sealed class ActivationCollectionTests
{
    [Fact]
    public async Task Idle_activations_are_collected_and_come_back_with_their_state()
    {
        var time = new ManualTimeProvider();
        var storage = new CountingGrainStorage(new MemoryGrainStorage(time));
        await using var runtime = new GrainRuntime(new GrainCatalog().Add(CounterGrain.Type), storage, new GrainRuntimeOptions { IdleTimeout = TimeSpan.FromMinutes(15), AdmitOnFirstCall = true }, time);
        await runtime.CallAsync<Increment, long>(CounterGrain.Id("old"), new Increment(7));
        time.Advance(TimeSpan.FromMinutes(10));
        await runtime.CallAsync<Increment, long>(CounterGrain.Id("recent"), new Increment(1));

        time.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(1, runtime.CollectIdle());
        Assert.Equal(1, runtime.ActivationCount);

        var reads = storage.Reads;
        Assert.Equal(8, await runtime.CallAsync<Increment, long>(CounterGrain.Id("old"), new Increment(1)));
        Assert.Equal(reads + 1, storage.Reads); // reactivated from storage, not from a stale cache
    }

    [Fact]
    public async Task Activations_stay_under_the_bound_least_recently_used_first()
    {
        var time = new ManualTimeProvider();
        var storage = new CountingGrainStorage(new MemoryGrainStorage(time));
        await using var runtime = new GrainRuntime(new GrainCatalog().Add(CounterGrain.Type), storage, new GrainRuntimeOptions { MaxActivations = 100, AdmitOnFirstCall = true }, time);
        for (var i = 0; i < 100; i++)
        {
            await runtime.CallAsync<Increment, long>(CounterGrain.Id($"g{i}"), new Increment(1));
            time.Advance(TimeSpan.FromSeconds(1));
        }
        await runtime.CallAsync<Increment, long>(CounterGrain.Id("newest"), new Increment(1));

        runtime.CollectIdle();
        Assert.InRange(runtime.ActivationCount, 1, 100);

        var reads = storage.Reads;
        Assert.Equal(2, await runtime.CallAsync<Increment, long>(CounterGrain.Id("newest"), new Increment(1)));
        Assert.Equal(reads, storage.Reads); // still active
        Assert.Equal(2, await runtime.CallAsync<Increment, long>(CounterGrain.Id("g0"), new Increment(1)));
        Assert.Equal(reads + 1, storage.Reads); // the oldest was dropped and is read back
    }

    [Fact]
    public async Task Far_over_the_bound_the_most_recently_used_stay_and_the_count_drops_under_it()
    {
        var time = new ManualTimeProvider();
        var storage = new CountingGrainStorage(new MemoryGrainStorage(time));
        var options = new GrainRuntimeOptions { MaxActivations = 2_000, AdmitOnFirstCall = true };
        await using var runtime = new GrainRuntime(new GrainCatalog().Add(CounterGrain.Type), storage, options, time);
        for (var i = 0; i < 10_000; i++)
        {
            await runtime.CallAsync<Increment, long>(CounterGrain.Id($"g{i}"), new Increment(1));
            time.Advance(TimeSpan.FromMilliseconds(10));
        }
        // A collection the last activations started may still be running; this one waits its turn.
        for (var i = 0; i < 100 && runtime.ActivationCount > options.MaxActivations; i++)
        {
            runtime.CollectIdle();
            await Task.Delay(20);
        }
        Assert.InRange(runtime.ActivationCount, 1, options.MaxActivations);

        var reads = storage.Reads;
        for (var i = 9_000; i < 10_000; i++) await runtime.CallAsync<Increment, long>(CounterGrain.Id($"g{i}"), new Increment(1));
        Assert.Equal(reads, storage.Reads); // the newest thousand were all still active
    }
}
