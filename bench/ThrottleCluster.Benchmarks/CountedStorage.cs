using Orleans.Storage;

namespace ThrottleCluster.Benchmarks;

/// <summary>The product's grain storage with its writes and lost compare-and-sets counted, for calls per write.</summary>
public sealed class CountedStorage(IGrainStorage inner) : IGrainStorage
{
    private long _writes, _conflicts;

    public long Writes => Interlocked.Read(ref _writes);

    public long Conflicts => Interlocked.Read(ref _conflicts);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ReadStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        Interlocked.Increment(ref _writes);
        try
        {
            await inner.WriteStateAsync(stateName, grainId, grainState).ConfigureAwait(false); // as the providers: no hop back to the grain
        }
        catch (InconsistentStateException)
        {
            Interlocked.Increment(ref _conflicts);
            throw;
        }
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ClearStateAsync(stateName, grainId, grainState);
}
