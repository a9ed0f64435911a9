using System.Text.Json;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Cluster.Tests;

/// <summary>What the tests read back of an ip grain: the requests its stored state counted today.</summary>
public static class SourceCounts
{
    /// <summary>A policy under which an ip grants every request a test makes, so its daily count is the calls applied.</summary>
    public static ThrottlePolicy Unlimited { get; } = new()
    {
        Ip = new SourcePolicy { Burst = 100_000, PerDay = 10_000_000 },
        Network = new SourcePolicy { Burst = 100_000, PerDay = 10_000_000 },
    };

    /// <summary>Requests the grain's stored state holds for the last day (both halves of the sliding day).</summary>
    public static async Task<long> StoredAsync(ISourceGrain grain)
    {
        var inspection = await grain.Inspect();
        if (!inspection.Exists) return 0;
        var day = JsonDocument.Parse(inspection.State).RootElement.GetProperty("day");
        return day.GetProperty("previous").GetInt64() + day.GetProperty("current").GetInt64();
    }

    /// <summary>The daily count in a state a storage provider is about to write.</summary>
    public static long InWrite(object? state) => state is Grains.Storage.Stored<Grains.SourceState> { Value: { } value } ? value.Day.Previous + value.Day.Current : -1;
}
