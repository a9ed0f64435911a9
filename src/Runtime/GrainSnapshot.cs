namespace ThrottleCluster.Runtime;

/// <summary>A grain's stored state for inspection: version 0 and no state when nothing is stored.</summary>
public sealed record GrainSnapshot(string Grain, long Version, int StoredBytes, object? State);
