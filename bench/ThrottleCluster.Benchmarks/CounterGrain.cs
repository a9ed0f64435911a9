namespace ThrottleCluster.Benchmarks;

/// <summary>A grain with no storage: what an Orleans call costs in this silo before the product adds state.</summary>
[Alias("bench.counter")]
public interface ICounterGrain : IGrainWithIntegerKey
{
    [Alias("add")]
    Task<long> Add(int amount);
}

public sealed class CounterGrain : Grain, ICounterGrain
{
    private long _total;

    public Task<long> Add(int amount) => Task.FromResult(_total += amount);
}
