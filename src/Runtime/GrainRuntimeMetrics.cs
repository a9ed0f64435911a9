using System.Diagnostics.Metrics;

namespace ThrottleCluster.Runtime;

/// <summary>What operators watch on a silo's runtime: turns, batch sizes, conflicts, activations.</summary>
public sealed class GrainRuntimeMetrics : IDisposable
{
    public const string MeterName = "ThrottleCluster.Runtime";

    private readonly Meter _meter;
    private readonly Counter<long> _writes;
    private readonly Histogram<int> _batchSize;
    private readonly Counter<long> _conflicts;
    private long _writeCount;
    private long _conflictCount;

    public GrainRuntimeMetrics(Func<int> activeGrains)
    {
        _meter = new Meter(MeterName);
        _writes = _meter.CreateCounter<long>("tc.runtime.storage.writes", description: "Compare-and-set writes sent to grain storage (one per turn attempt).");
        _batchSize = _meter.CreateHistogram<int>("tc.runtime.turn.batch_size", description: "Commands persisted together by one write.");
        _conflicts = _meter.CreateCounter<long>("tc.runtime.storage.conflicts", description: "Writes refused because another silo wrote first.");
        _meter.CreateObservableGauge("tc.runtime.activations", activeGrains, description: "Grain activations in this silo's memory.");
    }

    public long Writes => Interlocked.Read(ref _writeCount);
    public long Conflicts => Interlocked.Read(ref _conflictCount);

    internal void StorageWrite(string kind, int batchSize)
    {
        Interlocked.Increment(ref _writeCount);
        var tag = new KeyValuePair<string, object?>("kind", kind);
        _writes.Add(1, tag);
        _batchSize.Record(batchSize, tag);
    }

    internal void Conflict(string kind)
    {
        Interlocked.Increment(ref _conflictCount);
        _conflicts.Add(1, new KeyValuePair<string, object?>("kind", kind));
    }

    public void Dispose() => _meter.Dispose();
}
