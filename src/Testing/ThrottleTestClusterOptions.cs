using Orleans.Storage;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Testing;

/// <summary>How a <see cref="ThrottleTestCluster"/> is made.</summary>
public sealed class ThrottleTestClusterOptions
{
    /// <summary>Silos in the cluster, all in this process.</summary>
    public short Silos { get; set; } = 2;

    /// <summary>The policy every silo decides with.</summary>
    public ThrottlePolicy Policy { get; set; } = new();

    /// <summary>The silos' clock: a FakeTimeProvider makes time-dependent tests deterministic.</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>
    /// Silo configuration on top of the defaults, as the hosts read it: <c>Cluster:Provider</c> and
    /// <c>Cluster:Redis</c> (or <c>Cluster:AzureStorage</c>) put grain state in a real store; without
    /// them the silos share one memory store.
    /// </summary>
    public IDictionary<string, string?> Configuration { get; } = new Dictionary<string, string?>();

    /// <summary>Wraps each silo's grain storage, e.g. to count or fail its writes.</summary>
    public Func<IGrainStorage, IGrainStorage>? DecorateStorage { get; set; }

    /// <summary>Keys the grains' keys and the distinct-account counts (<see cref="GrainKeys"/>, <see cref="ThrottleKeys.AccountHash"/>).</summary>
    public ulong AccountHashSecret { get; set; } = 0x5eed_5eed_5eed_5eed;
}
