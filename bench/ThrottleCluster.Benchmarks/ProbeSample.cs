using System.Text.Json.Nodes;

namespace ThrottleCluster.Benchmarks;

/// <summary>One line of the process probe: GC pauses and counts, allocations and memory, all since the process started.</summary>
public sealed record ProbeSample(double PauseMs, int Gen0, int Gen1, int Gen2, long AllocatedBytes, long TotalMemory, long HeapSizeBytes, long WorkingSet, string Gc)
{
    /// <summary>What happened between <paramref name="before"/> and this sample, and the memory now.</summary>
    public JsonObject Since(ProbeSample before, double seconds) => new()
    {
        ["gc"] = Gc,
        ["gc_pause_ms"] = BenchReport.Round(PauseMs - before.PauseMs, 1),
        ["gc_pause_ms_per_second"] = BenchReport.Round((PauseMs - before.PauseMs) / seconds, 1),
        ["gc_collections"] = new JsonObject { ["gen0"] = Gen0 - before.Gen0, ["gen1"] = Gen1 - before.Gen1, ["gen2"] = Gen2 - before.Gen2 },
        ["allocated_mb"] = BenchReport.Round((AllocatedBytes - before.AllocatedBytes) / 1e6, 1),
        ["managed_heap_mb"] = BenchReport.Round(TotalMemory / 1e6, 1),
        ["working_set_mb"] = BenchReport.Round(WorkingSet / 1e6, 1),
    };
}
