using Microsoft.Extensions.Time.Testing;
using Orleans.Storage;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Grains.Storage;
using ThrottleCluster.Hosting.Storage;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Storage.Tests;

/// <summary>Embedded mode's store, on a fake clock: expiry is exact, and the sweep drops what expired.</summary>
public sealed class MemoryStorageTests : GrainStorageConformance
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly MemoryStateStore _store;

    public MemoryStorageTests()
    {
        _store = new MemoryStateStore(_time);
        Storage = new MemoryStateStorage(_store, new StateSerializer());
        // Silos of one process share the store, each with a provider of its own.
        Silos = [Storage, new MemoryStateStorage(_store, new StateSerializer()), new MemoryStateStorage(_store, new StateSerializer())];
    }

    protected override IGrainStorage Storage { get; }

    protected override IReadOnlyList<IGrainStorage> Silos { get; }

    protected override TimeProvider Time => _time;

    protected override Task<bool> HoldsAsync(GrainId grain) => Task.FromResult(_store.Holds(grain));

    protected override Task<long> StoredBytesAsync(GrainId grain) => Task.FromResult((long)_store.Read(grain)!.State.Length);

    protected override async Task DropExpiredAsync(GrainId grain)
    {
        _time.Advance(TimeSpan.FromMinutes(1));
        // The sweep runs off the path of some later writer, at most every few seconds.
        await Eventually.HoldsAsync(async () =>
        {
            _time.Advance(TimeSpan.FromSeconds(10));
            await Storage.WriteStateAsync(GrainStorageNames.State, NewGrain(), new GrainState<Stored<StoredPolicy>>(
                new Stored<StoredPolicy> { Value = new(1, "{}"), ExpiresAt = _time.GetUtcNow().AddHours(1) }));
            return !_store.Holds(grain);
        }, $"the sweep drops {grain}");
    }
}
