using Orleans;
using Orleans.Runtime;
using Orleans.Storage;

namespace ThrottleCluster.Api.Tests.Support;

/// <summary>A silo's grain storage, counting what it is asked to change.</summary>
public sealed class CountingGrainStorage(IGrainStorage inner) : IGrainStorage
{
    private int _changes;

    /// <summary>Writes and clears so far.</summary>
    public int Changes => Volatile.Read(ref _changes);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        => inner.ReadStateAsync(stateName, grainId, grainState);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        Interlocked.Increment(ref _changes);
        return inner.WriteStateAsync(stateName, grainId, grainState);
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        Interlocked.Increment(ref _changes);
        return inner.ClearStateAsync(stateName, grainId, grainState);
    }
}
