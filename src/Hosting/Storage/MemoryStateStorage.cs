using Orleans.Storage;
using ThrottleCluster.Grains.Storage;

namespace ThrottleCluster.Hosting.Storage;

/// <summary>The grain storage provider over a <see cref="MemoryStateStore"/>.</summary>
public sealed class MemoryStateStorage(MemoryStateStore store, IGrainStorageSerializer serializer) : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var entry = store.Read(grainId);
        grainState.State = entry is null ? Activator.CreateInstance<T>() : serializer.Deserialize<T>(entry.State)!;
        if (grainState.State is IExpiringState expiring) expiring.ExpiresAt = entry?.ExpiresAt;
        grainState.ETag = entry?.ETag;
        grainState.RecordExists = entry is not null;
        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var expiresAt = (grainState.State as IExpiringState)?.ExpiresAt;
        var etag = store.TryWrite(grainId, grainState.ETag, serializer.Serialize(grainState.State).ToArray(), expiresAt)
                   ?? throw Conflict(grainId, grainState.ETag);
        grainState.ETag = etag;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (!store.TryDelete(grainId, grainState.ETag)) throw Conflict(grainId, grainState.ETag);
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private InconsistentStateException Conflict(GrainId key, string? etag)
        => new($"Grain state {key} was written by another activation since it was read.", store.Read(key)?.ETag, etag);
}
