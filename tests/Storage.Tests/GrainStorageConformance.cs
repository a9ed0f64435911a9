using System.Collections.Immutable;
using Orleans.Storage;
using ThrottleCluster.Grains;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Grains.Storage;

namespace ThrottleCluster.Storage.Tests;

/// <summary>
/// What every grain storage provider of the product must do, run against each one on its real
/// engine. Every test uses grains of its own, so providers backed by one engine share it for the run.
/// </summary>
public abstract class GrainStorageConformance
{
    private static readonly StoredPolicy Policy = new(1, "{}");

    protected abstract IGrainStorage Storage { get; }

    /// <summary>The provider as several silos see it: instances of their own, over connections of their own.</summary>
    protected abstract IReadOnlyList<IGrainStorage> Silos { get; }

    /// <summary>The provider's clock, for expiry times that it and the store agree on.</summary>
    protected abstract TimeProvider Time { get; }

    /// <summary>Whether the store itself still holds the grain's state, looked at past the provider.</summary>
    protected abstract Task<bool> HoldsAsync(GrainId grain);

    /// <summary>Bytes the store spends on the grain's state as the provider wrote it.</summary>
    protected abstract Task<long> StoredBytesAsync(GrainId grain);

    /// <summary>Lets the store drop what expired: waits for the engine's own expiry, or moves a fake clock and sweeps.</summary>
    protected abstract Task DropExpiredAsync(GrainId grain);

    protected static GrainId NewGrain(string kind = "test") => GrainId.Create(kind, Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task A_grain_never_written_reads_as_no_state()
    {
        var state = await ReadAsync<StoredPolicy>(Storage, NewGrain());

        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.Null(state.State!.Value);
    }

    [Fact]
    public async Task A_write_round_trips_the_state_and_gives_an_etag_a_read_returns()
    {
        var grain = NewGrain();
        var written = new GrainState<Stored<StoredPolicy>>(new Stored<StoredPolicy> { Value = Policy with { Json = "{\"a\":1}" }, ExpiresAt = Later });

        await Storage.WriteStateAsync(GrainStorageNames.State, grain, written);
        var read = await ReadAsync<StoredPolicy>(Storage, grain);

        Assert.True(written.RecordExists);
        Assert.NotNull(written.ETag);
        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal(written.State!.Value, read.State!.Value);
        // The store keeps the expiry and tells it again.
        Assert.InRange(read.State.ExpiresAt!.Value, written.State.ExpiresAt!.Value.AddSeconds(-2), written.State.ExpiresAt.Value.AddSeconds(2));
    }

    [Fact]
    public async Task A_stale_etag_is_rejected_leaving_the_winner_in_place_and_a_fresh_read_recovers()
    {
        var grain = NewGrain();
        var first = await WriteAsync(Storage, grain, Policy);
        var stale = Copy(first);
        await WriteAsync(Storage, grain, Policy with { Version = 2 }, first);

        await Assert.ThrowsAsync<InconsistentStateException>(() => WriteAsync(Storage, grain, Policy with { Version = 99 }, stale));
        var winner = await ReadAsync<StoredPolicy>(Storage, grain);
        Assert.Equal(2, winner.State!.Value!.Version);

        await WriteAsync(Storage, grain, winner.State!.Value with { Version = 3 }, winner);
        Assert.Equal(3, (await ReadAsync<StoredPolicy>(Storage, grain)).State!.Value!.Version);
    }

    [Fact]
    public async Task Creating_a_grain_that_another_writer_created_meanwhile_is_rejected()
    {
        var grain = NewGrain();
        var late = await ReadAsync<StoredPolicy>(Storage, grain);
        await WriteAsync(Storage, grain, Policy);

        await Assert.ThrowsAsync<InconsistentStateException>(() => WriteAsync(Storage, grain, Policy with { Version = 7 }, late));
        Assert.Equal(1, (await ReadAsync<StoredPolicy>(Storage, grain)).State!.Value!.Version);
    }

    [Fact]
    public async Task A_clear_removes_the_state_from_the_store_and_a_stale_clear_is_rejected()
    {
        var grain = NewGrain();
        var first = await WriteAsync(Storage, grain, Policy);
        var stale = Copy(first);
        await WriteAsync(Storage, grain, Policy with { Version = 2 }, first);

        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.ClearStateAsync(GrainStorageNames.State, grain, stale));
        Assert.True(await HoldsAsync(grain));

        await Storage.ClearStateAsync(GrainStorageNames.State, grain, first);
        Assert.False(first.RecordExists);
        Assert.False(await HoldsAsync(grain));
        Assert.False((await ReadAsync<StoredPolicy>(Storage, grain)).RecordExists);
    }

    [Fact]
    public async Task Expired_state_is_gone_from_the_store_and_the_grain_then_behaves_like_a_new_one()
    {
        var grain = NewGrain();
        var written = await WriteAsync(Storage, grain, Policy, expiresAt: Time.GetUtcNow().AddSeconds(1));
        Assert.True(await HoldsAsync(grain));

        await DropExpiredAsync(grain);

        Assert.False(await HoldsAsync(grain));
        var read = await ReadAsync<StoredPolicy>(Storage, grain);
        Assert.False(read.RecordExists);
        Assert.Null(read.State!.Value);
        // A new grain's first write succeeds, and the old ETag is no use any more.
        await WriteAsync(Storage, grain, Policy with { Version = 5 }, read);
        await Assert.ThrowsAsync<InconsistentStateException>(() => WriteAsync(Storage, grain, Policy with { Version = 6 }, written));
    }

    [Fact]
    public async Task State_without_an_expiry_stays()
    {
        var grain = NewGrain();
        await WriteAsync(Storage, grain, Policy, neverExpires: true);

        Assert.True(await HoldsAsync(grain));
        var read = await ReadAsync<StoredPolicy>(Storage, grain);
        Assert.True(read.RecordExists);
        Assert.Null(read.State!.ExpiresAt);
    }

    [Fact]
    public async Task Throttle_state_is_stored_compactly_in_under_200_bytes_and_round_trips()
    {
        var now = Time.GetUtcNow();
        var t = GrainTime.Seconds(now);
        // The largest states the default policy lets grow: every daily send of an account, full sketches.
        var policy = new ThrottlePolicy();
        var account = new AccountState([.. Enumerable.Range(0, policy.Account.PerDay).Select(i => t - 86_000 + i * 60L)], 3, false, ListMode.Block, t + 3600);
        var full = new Bits256(ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, ulong.MaxValue);
        var source = new SourceState(t + 600, new SlidingCount(t, 99, 99), new DistinctSketch(t, full, full), t + 7200, 5, t, ListMode.Allow, t + 60);
        var domain = new DomainState(new SlidingCount(t, 500, 500), new SlidingCount(t, 250, 250), 123_456, ListMode.Block, t + 60);
        var global = new GlobalState(GrainTime.Microseconds(now) + 5_000_000, GrainTime.Microseconds(now), new SlidingCount(t, 99_999, 99_999), t + 300, t + 300);

        Assert.InRange(await StoredSizeAsync(account), 1, 199);
        Assert.InRange(await StoredSizeAsync(source), 1, 199);
        Assert.InRange(await StoredSizeAsync(domain), 1, 199);
        Assert.InRange(await StoredSizeAsync(global), 1, 199);
    }

    [Fact]
    public async Task Writers_on_several_silos_holding_the_same_etag_have_exactly_one_winner_and_lose_no_increment()
    {
        const int rounds = 15, writersPerSilo = 2;
        var grain = NewGrain("counter");
        var writers = Silos.SelectMany(silo => Enumerable.Repeat(silo, writersPerSilo)).ToList();

        for (var round = 1; round <= rounds; round++)
        {
            var seen = await Task.WhenAll(writers.Select(silo => ReadAsync<StoredPolicy>(silo, grain)));
            var won = await Task.WhenAll(writers.Select((silo, i) => TryIncrementAsync(silo, grain, seen[i])));
            Assert.Equal(1, won.Count(w => w));
        }

        Assert.Equal(rounds, (await ReadAsync<StoredPolicy>(Storage, grain)).State!.Value!.Version);
    }

    private DateTimeOffset Later => Time.GetUtcNow().AddMinutes(10);

    private async Task<long> StoredSizeAsync<TState>(TState state) where TState : class
    {
        var grain = NewGrain();
        var written = new GrainState<Stored<TState>>(new Stored<TState> { Value = state, ExpiresAt = Later });
        await Storage.WriteStateAsync(GrainStorageNames.State, grain, written);
        var read = new GrainState<Stored<TState>>();
        await Storage.ReadStateAsync(GrainStorageNames.State, grain, read);
        Assert.Equal(state, read.State!.Value);
        return await StoredBytesAsync(grain);
    }

    private async Task<bool> TryIncrementAsync(IGrainStorage storage, GrainId grain, GrainState<Stored<StoredPolicy>> seen)
    {
        try
        {
            await WriteAsync(storage, grain, new StoredPolicy((seen.State!.Value?.Version ?? 0) + 1, "{}"), seen);
            return true;
        }
        catch (InconsistentStateException)
        {
            return false;
        }
    }

    private static async Task<GrainState<Stored<T>>> ReadAsync<T>(IGrainStorage storage, GrainId grain) where T : class
    {
        var state = new GrainState<Stored<T>>();
        await storage.ReadStateAsync(GrainStorageNames.State, grain, state);
        return state;
    }

    /// <summary>Writes <paramref name="value"/> over what <paramref name="from"/> last saw (nothing: a new grain); answers the state written, with its ETag.</summary>
    private async Task<GrainState<Stored<StoredPolicy>>> WriteAsync(IGrainStorage storage, GrainId grain, StoredPolicy value,
        GrainState<Stored<StoredPolicy>>? from = null, DateTimeOffset? expiresAt = null, bool neverExpires = false)
    {
        var state = from ?? new GrainState<Stored<StoredPolicy>>();
        state.State = new Stored<StoredPolicy> { Value = value, ExpiresAt = neverExpires ? null : expiresAt ?? Later };
        await storage.WriteStateAsync(GrainStorageNames.State, grain, state);
        return state;
    }

    private static GrainState<Stored<StoredPolicy>> Copy(GrainState<Stored<StoredPolicy>> state)
        => new(state.State, state.ETag) { RecordExists = state.RecordExists };
}
