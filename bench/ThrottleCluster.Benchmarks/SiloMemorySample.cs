using System.Text.Json.Nodes;
using Orleans.Runtime;

namespace ThrottleCluster.Benchmarks;

/// <summary>
/// What a silo in this process holds at one moment: managed heap, working set, activations as
/// Orleans counts them twice over (its catalog gauge, and the management grain's statistics) by type,
/// and the entries of its grain directory (its cache of addresses, and its own partition).
/// </summary>
public sealed record SiloMemorySample(
    double Seconds, long Decisions, long TotalMemory, long HeapSizeBytes, long CommittedBytes, long WorkingSet,
    IReadOnlyDictionary<string, long> CatalogByType, IReadOnlyDictionary<string, int>? ActivationsByType, IReadOnlyDictionary<string, long> Directory,
    double GcPauseMs, int Gen2)
{
    public long CatalogActivations => CatalogByType.Values.Sum();

    /// <summary>Account grain activations, as the management grain reports them; null when it did not answer in time.</summary>
    public int? Accounts => ActivationsByType?.GetValueOrDefault("AccountGrain");

    /// <summary>Account grain activations, as the catalog gauge reports them.</summary>
    public long CatalogAccounts => CatalogByType.GetValueOrDefault("account");

    public static async Task<SiloMemorySample> TakeAsync(IGrainFactory grains, OrleansMeters meters, double seconds, long decisions)
    {
        Dictionary<string, int>? byType;
        try
        {
            var statistics = await grains.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
            byType = statistics
                .GroupBy(s => ShortName(s.GrainType))
                .ToDictionary(g => g.Key, g => g.Sum(s => s.ActivationCount), StringComparer.Ordinal);
        }
        catch (TimeoutException)
        {
            // A silo too busy to answer within its response timeout is itself a finding; the gauges still tell.
            byType = null;
        }
        var info = GC.GetGCMemoryInfo();
        var (catalog, directory) = meters.Observe();
        return new SiloMemorySample(seconds, decisions, GC.GetTotalMemory(false), info.HeapSizeBytes, info.TotalCommittedBytes,
            Environment.WorkingSet, catalog, byType, directory, GC.GetTotalPauseDuration().TotalMilliseconds, GC.CollectionCount(2));
    }

    public JsonObject Json() => new()
    {
        ["t_s"] = BenchReport.Round(Seconds, 1),
        ["decisions"] = Decisions,
        ["managed_heap_mb"] = Mb(TotalMemory),
        ["gc_heap_size_mb"] = Mb(HeapSizeBytes),
        ["gc_committed_mb"] = Mb(CommittedBytes),
        ["working_set_mb"] = Mb(WorkingSet),
        ["catalog_activations"] = CatalogActivations,
        ["catalog_activations_by_type"] = new JsonObject(CatalogByType.Where(kv => kv.Value != 0).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
        ["management_grain_activations_by_type"] = ActivationsByType is null
            ? "no answer within the response timeout"
            : new JsonObject(ActivationsByType.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
        ["grain_directory"] = new JsonObject(Directory.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
        ["gc_pause_ms_total"] = BenchReport.Round(GcPauseMs, 1),
        ["gen2_collections_total"] = Gen2,
    };

    public static double Mb(long bytes) => BenchReport.Round(bytes / 1e6, 1);

    // "ThrottleCluster.Grains.AccountGrain,ThrottleCluster.Grains" or a grain type name: the class alone.
    private static string ShortName(string grainType)
    {
        var name = grainType.Split(',')[0];
        return name[(name.LastIndexOf('.') + 1)..];
    }
}
