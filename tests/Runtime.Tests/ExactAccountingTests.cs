using ThrottleCluster.Runtime.Client;
using ThrottleCluster.Runtime.Storage;
using ThrottleCluster.Runtime.Testing;

namespace ThrottleCluster.Runtime.Tests;

/// <summary>
/// A counter hammered through 3 silos by hundreds of callers ends equal to the number of calls that
/// reported success, with and without a silo killed mid-way. Callers spread over the silos round
/// robin, so the silos fight over the same grains through compare-and-set.
/// </summary>
public abstract class ExactAccountingTests
{
    private const int CallersPerSilo = 200;
    private const int CallsPerCaller = 40;

    /// <summary>Null: the cluster's shared memory storage.</summary>
    protected abstract Func<IGrainStorage>? OpenStorage { get; }

    [Fact]
    public async Task Concurrent_increments_through_three_silos_are_counted_exactly()
    {
        await using var cluster = await StartClusterAsync();
        var outcome = await HammerAsync(cluster, "steady", whileRunning: null);

        Assert.Empty(outcome.Failures);
        Assert.Equal(outcome.Successes, await ReadAsync(cluster, "steady"));
    }

    [Fact]
    public async Task Killing_a_silo_mid_way_loses_and_doubles_nothing()
    {
        await using var cluster = await StartClusterAsync();
        var outcome = await HammerAsync(cluster, "killed", whileRunning: async progress =>
        {
            await progress.WaitAsync(CallersPerSilo * 3 * CallsPerCaller / 4);
            await cluster.KillSiloAsync(1);
        });

        // A call may fail only if it is known not to have been applied; every success is counted once.
        Assert.All(outcome.Failures, f => Assert.False(f.MayHaveBeenApplied, f.Message));
        Assert.Equal(outcome.Successes, await ReadAsync(cluster, "killed"));
        Assert.False(cluster.Silos[1].IsRunning);

        await cluster.StartSiloAsync(1);
        var after = await HammerAsync(cluster, "killed", whileRunning: null);
        Assert.Empty(after.Failures);
        Assert.Equal(outcome.Successes + after.Successes, await ReadAsync(cluster, "killed"));
    }

    private Task<TestCluster> StartClusterAsync() => TestCluster.StartAsync(new TestClusterOptions
    {
        SiloCount = 3,
        Grains = catalog => catalog.Add(CounterGrain.Type),
        OpenStorage = OpenStorage,
        Client = new ClusterClientOptions { KeyAffinity = false, MaxAttempts = 4 },
    });

    private static async Task<long> ReadAsync(TestCluster cluster, string prefix)
    {
        long total = 0;
        for (var g = 0; g < 4; g++) total += await cluster.Client.CallAsync<Increment, long>(CounterGrain.Id($"{prefix}-{g}"), new Increment(0));
        return total;
    }

    private static async Task<Outcome> HammerAsync(TestCluster cluster, string prefix, Func<Progress, Task>? whileRunning)
    {
        var progress = new Progress();
        var failures = new System.Collections.Concurrent.ConcurrentBag<GrainCallException>();
        var callers = Enumerable.Range(0, CallersPerSilo * 3).Select(c => Task.Run(async () =>
        {
            for (var i = 0; i < CallsPerCaller; i++)
            {
                // Four grains: one very hot per quarter of callers, all contended across silos.
                var id = CounterGrain.Id($"{prefix}-{(c + i) % 4}");
                try
                {
                    await cluster.Client.CallAsync<Increment, long>(id, new Increment(1));
                    progress.Succeeded();
                }
                catch (GrainCallException ex)
                {
                    failures.Add(ex);
                }
            }
        })).ToList();
        if (whileRunning is not null) callers.Add(whileRunning(progress));
        await Task.WhenAll(callers);
        return new Outcome(progress.Count, failures.ToList());
    }

    private sealed record Outcome(long Successes, IReadOnlyList<GrainCallException> Failures);

    private sealed class Progress
    {
        private long _count;
        private readonly SemaphoreSlim _changed = new(0);

        public long Count => Interlocked.Read(ref _count);

        public void Succeeded()
        {
            Interlocked.Increment(ref _count);
            _changed.Release();
        }

        public async Task WaitAsync(long atLeast)
        {
            while (Count < atLeast) await _changed.WaitAsync();
        }
    }
}

public sealed class ExactAccountingOnMemoryTests : ExactAccountingTests
{
    protected override Func<IGrainStorage>? OpenStorage => null;
}

[Collection(Engines.GarnetCollection.Name)]
public sealed class ExactAccountingOnGarnetTests(Engines.GarnetFixture garnet) : ExactAccountingTests
{
    // Each silo opens its own connection, and a killed silo's connection dies with it.
    protected override Func<IGrainStorage>? OpenStorage => () => RedisGrainStorage.Connect(garnet.Server.ConnectionString);
}
