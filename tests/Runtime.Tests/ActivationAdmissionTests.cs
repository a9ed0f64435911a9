using ThrottleCluster.Runtime.Storage;

namespace ThrottleCluster.Runtime.Tests;

public sealed class ActivationAdmissionTests
{
    [Fact]
    public async Task A_grain_called_once_is_not_kept_and_one_called_again_is()
    {
        var storage = new CountingGrainStorage(new MemoryGrainStorage());
        await using var runtime = new GrainRuntime(new GrainCatalog().Add(CounterGrain.Type), storage);
        var id = CounterGrain.Id("asked-twice");

        Assert.Equal(5, await runtime.CallAsync<Increment, long>(id, new Increment(5)));
        await UntilAsync(() => runtime.ActivationCount == 0);
        Assert.Equal(1, storage.Reads);

        Assert.Equal(6, await runtime.CallAsync<Increment, long>(id, new Increment(1))); // read back: it was dropped
        Assert.Equal(2, storage.Reads);
        Assert.Equal(7, await runtime.CallAsync<Increment, long>(id, new Increment(1)));
        Assert.Equal(2, storage.Reads); // kept since its second call
        Assert.Equal(1, runtime.ActivationCount);
    }

    [Fact]
    public async Task A_flood_of_grains_called_once_does_not_push_out_the_grains_called_again()
    {
        var storage = new CountingGrainStorage(new MemoryGrainStorage());
        await using var runtime = new GrainRuntime(new GrainCatalog().Add(CounterGrain.Type), storage, new GrainRuntimeOptions { MaxActivations = 1_000 });
        var regulars = Enumerable.Range(0, 50).Select(i => CounterGrain.Id($"regular{i}")).ToList();
        foreach (var id in regulars.Concat(regulars)) await runtime.CallAsync<Increment, long>(id, new Increment(1));

        // Five times as many one-call grains as activations are kept (a flood of a million accounts
        // against the default 200,000). About 1 % pass as seen (false positives) and are kept.
        for (var i = 0; i < 5_000; i++) await runtime.CallAsync<Increment, long>(CounterGrain.Id($"once{i}"), new Increment(1));
        await UntilAsync(() => runtime.ActivationCount <= 1_000);

        var reads = storage.Reads;
        foreach (var id in regulars) Assert.Equal(3, await runtime.CallAsync<Increment, long>(id, new Increment(1)));
        Assert.Equal(reads, storage.Reads); // every regular was still active
    }

    [Fact]
    public async Task Calls_racing_an_activation_that_releases_itself_are_each_applied_once()
    {
        await using var runtime = new GrainRuntime(new GrainCatalog().Add(CounterGrain.Type), new MemoryGrainStorage());
        var ids = Enumerable.Range(0, 200).Select(i => CounterGrain.Id($"burst{i}")).ToList();

        // Calls arrive while earlier ones finish and their activations release themselves.
        var answers = await Task.WhenAll(ids.Select(id => Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Task.Run(() => runtime.CallAsync<Increment, long>(id, new Increment(1)))))));

        Assert.All(answers, perGrain => Assert.Equal([1, 2, 3, 4, 5], perGrain.Order()));
    }

    [Fact]
    public async Task With_AdmitOnFirstCall_every_activation_is_kept()
    {
        var storage = new CountingGrainStorage(new MemoryGrainStorage());
        await using var runtime = new GrainRuntime(new GrainCatalog().Add(CounterGrain.Type), storage, new GrainRuntimeOptions { AdmitOnFirstCall = true });
        await runtime.CallAsync<Increment, long>(CounterGrain.Id("once"), new Increment(1));
        await runtime.CallAsync<Increment, long>(CounterGrain.Id("once"), new Increment(1));
        Assert.Equal(1, storage.Reads);
        Assert.Equal(1, runtime.ActivationCount);
    }

    // Activations release themselves just after answering; wait for that, with a bound.
    private static async Task UntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++) await Task.Delay(10);
        Assert.True(condition());
    }
}
