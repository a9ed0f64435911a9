using Orleans.Storage;

namespace ThrottleCluster.Cluster.Tests;

/// <summary>
/// Grain storage as a test watches it: counts writes and lost compare-and-sets, and fails the writes
/// a test chooses, passing everything else on to the real provider.
/// </summary>
public sealed class WatchedStorage(IGrainStorage inner) : IGrainStorage
{
    private int _writes, _conflicts;

    public int Writes => Volatile.Read(ref _writes);

    public int Conflicts => Volatile.Read(ref _conflicts);

    /// <summary>Decides per write (numbered from 1, with the state about to be written) whether it fails instead of reaching the store.</summary>
    public Func<int, object?, bool> Fails { get; set; } = (_, _) => false;

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ReadStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var write = Interlocked.Increment(ref _writes);
        if (Fails(write, grainState.State)) throw new IOException($"Write {write} of {grainId} failed, as the test asked.");
        try
        {
            await inner.WriteStateAsync(stateName, grainId, grainState);
        }
        catch (InconsistentStateException)
        {
            Interlocked.Increment(ref _conflicts);
            throw;
        }
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ClearStateAsync(stateName, grainId, grainState);
}
