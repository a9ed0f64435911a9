using System.Diagnostics.Metrics;

namespace ThrottleCluster.Grains;

/// <summary>
/// What operators see of write-through: writes, their batch sizes (group commit at work) and how long
/// the store took (<see cref="Storage.DirectPersistentState{TState}"/> leaves Orleans' own storage timing out), writes
/// that lost their compare-and-set to another activation, and batches failed for good. Tagged by
/// grain kind only, never by key.
/// </summary>
internal static class GrainStorageMetrics
{
    public const string MeterName = "ThrottleCluster.Grains";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Histogram<int> Batches = Meter.CreateHistogram<int>("tc.grain.batch_size", unit: "{call}",
        description: "Calls applied together and persisted with one write, by grain kind.",
        tags: null, advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096] });
    private static readonly Histogram<double> WriteDurations = Meter.CreateHistogram<double>("tc.grain.write.duration", unit: "s",
        description: "How long the store took to write or clear a grain's state, by grain kind.",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets.Seconds });
    private static readonly Counter<long> Conflicts = Meter.CreateCounter<long>("tc.grain.write_conflicts",
        description: "Writes that lost their ETag to another activation and were re-read and re-applied, by grain kind.");
    private static readonly Counter<long> Failures = Meter.CreateCounter<long>("tc.grain.failed_batches",
        description: "Batches whose write failed (their callers got an error and nothing was sent), by grain kind.");

    public static void Written(string kind, int calls, TimeSpan took)
    {
        Batches.Record(calls, Kind(kind));
        WriteDurations.Record(took.TotalSeconds, Kind(kind));
    }

    public static void Conflict(string kind) => Conflicts.Add(1, Kind(kind));

    public static void Failed(string kind) => Failures.Add(1, Kind(kind));

    private static KeyValuePair<string, object?> Kind(string kind) => new("kind", kind);
}
