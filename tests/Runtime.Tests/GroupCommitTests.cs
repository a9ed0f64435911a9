using ThrottleCluster.Runtime.Storage;

namespace ThrottleCluster.Runtime.Tests;

public sealed class GroupCommitTests
{
    [Fact]
    public async Task Calls_queued_during_a_turn_are_persisted_by_one_write()
    {
        var storage = new CountingGrainStorage(new MemoryGrainStorage());
        await using var runtime = new GrainRuntime(new GrainCatalog().Add(CounterGrain.Type), storage);
        var id = CounterGrain.Id("hot");

        storage.CloseGate();
        var first = runtime.CallAsync<Increment, long>(id, new Increment(1));
        var queued = Enumerable.Range(0, 999).Select(_ => runtime.CallAsync<Increment, long>(id, new Increment(1))).ToArray();
        Assert.All(queued, t => Assert.False(t.IsCompleted)); // nobody is answered before the write
        storage.OpenGate();
        var results = await Task.WhenAll(queued.Prepend(first));

        Assert.Equal(2, storage.Writes); // the first call's turn, then one turn for the 999 queued behind it
        Assert.Equal(Enumerable.Range(1, 1000).Select(i => (long)i), results.Order());
        Assert.Equal(1000, await runtime.CallAsync<Increment, long>(id, new Increment(0)));
    }

    [Fact]
    public async Task Many_concurrent_callers_produce_far_fewer_writes_than_calls()
    {
        var storage = new CountingGrainStorage(new SlowStorage(new MemoryGrainStorage()));
        await using var runtime = new GrainRuntime(new GrainCatalog().Add(CounterGrain.Type), storage);
        var id = CounterGrain.Id("hot");

        var calls = Enumerable.Range(0, 200).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++) await runtime.CallAsync<Increment, long>(id, new Increment(1));
        }));
        await Task.WhenAll(calls);

        Assert.Equal(5000, await runtime.CallAsync<Increment, long>(id, new Increment(0)));
        Assert.True(storage.Writes < 5000 / 10, $"{storage.Writes} writes for 5000 calls");
    }

    [Fact]
    public async Task A_command_the_grain_refuses_fails_alone()
    {
        var storage = new CountingGrainStorage(new MemoryGrainStorage());
        await using var runtime = new GrainRuntime(new GrainCatalog().Add(CounterGrain.Type), storage);
        var id = CounterGrain.Id("mixed");

        storage.CloseGate();
        var first = runtime.CallAsync<Increment, long>(id, new Increment(1));
        var bad = runtime.CallAsync<Increment, long>(id, new Increment(-5));
        var good = runtime.CallAsync<Increment, long>(id, new Increment(2));
        storage.OpenGate();

        Assert.Equal(1, await first);
        await Assert.ThrowsAsync<ArgumentException>(() => bad);
        Assert.Equal(3, await good);
    }

    /// <summary>An engine round trip takes time; without it a memory store never lets calls pile up.</summary>
    private sealed class SlowStorage(IGrainStorage inner) : IGrainStorage
    {
        public ValueTask<StoredState> ReadAsync(string key, CancellationToken cancellationToken = default) => inner.ReadAsync(key, cancellationToken);

        public async ValueTask<WriteOutcome> WriteAsync(StateWrite write, CancellationToken cancellationToken = default)
        {
            await Task.Delay(1, cancellationToken);
            return await inner.WriteAsync(write, cancellationToken);
        }
    }
}
