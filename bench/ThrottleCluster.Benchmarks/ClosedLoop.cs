using System.Diagnostics;
using System.Text.Json.Nodes;

namespace ThrottleCluster.Benchmarks;

/// <summary>
/// One closed-loop figure: operations completed (and failed) in the time, with what this process's
/// garbage collector did meanwhile (pauses, allocations, collections).
/// </summary>
public sealed record Rate(string Name, long Ok, long Failed, double Seconds, int InFlight, double GcPauseMs, long AllocatedBytes, int Gen0, int Gen1, int Gen2)
{
    public double PerSecond => Ok / Seconds;

    public JsonObject Json() => new()
    {
        ["ok"] = Ok,
        ["failed"] = Failed,
        ["seconds"] = BenchReport.Round(Seconds),
        ["in_flight"] = InFlight,
        ["per_second"] = Math.Round(PerSecond),
        ["gc_pause_ms"] = BenchReport.Round(GcPauseMs, 1),
        ["gc_pause_ms_per_second"] = BenchReport.Round(GcPauseMs / Seconds, 1),
        ["allocated_bytes_per_op"] = Math.Round((double)AllocatedBytes / Math.Max(1, Ok + Failed)),
        ["gc_collections"] = new JsonObject { ["gen0"] = Gen0, ["gen1"] = Gen1, ["gen2"] = Gen2 },
    };

    /// <summary><see cref="Json"/> with this figure as a ratio to each baseline of the same run.</summary>
    public JsonObject Json(params (string Name, Rate? Baseline)[] baselines)
    {
        var json = Json();
        foreach (var (name, baseline) in baselines)
            if (baseline is not null) json[$"ratio_to_{name}"] = BenchReport.Round(PerSecond / baseline.PerSecond);
        return json;
    }
}

/// <summary>
/// N async workers (N = in flight), each issuing the next operation when its previous one completed,
/// until the time is up (and at least <c>minOps</c> were issued, so a warm-up can touch every grain)
/// or <c>maxOps</c> were issued.
/// Each worker yields after every operation: a caller in a silo's process whose calls complete inline
/// would otherwise never give the thread back, and starves Orleans' own work (timers, membership).
/// </summary>
public static class ClosedLoop
{
    public static async Task<Rate> MeasureAsync(string name, int inFlight, TimeSpan time, Func<long, Task> op, long minOps = 0, long maxOps = long.MaxValue)
    {
        long issued = -1, ok = 0, failed = 0;
        Exception? firstError = null;
        var (pause, allocated) = (GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes(false));
        var (gen0, gen1, gen2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var watch = Stopwatch.StartNew();
        async Task Worker()
        {
            await Task.Yield();
            while (true)
            {
                var i = Interlocked.Increment(ref issued);
                if (i >= maxOps || watch.Elapsed >= time && i >= minOps) return;
                try
                {
                    await op(i);
                    Interlocked.Increment(ref ok);
                }
                catch (Exception e)
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstError, e, null);
                }
                await Task.Yield();
            }
        }
        await Task.WhenAll(Enumerable.Range(0, inFlight).Select(_ => Worker()));
        var rate = new Rate(name, ok, failed, watch.Elapsed.TotalSeconds, inFlight,
            (GC.GetTotalPauseDuration() - pause).TotalMilliseconds, GC.GetTotalAllocatedBytes(false) - allocated,
            GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2);
        BenchReport.Log($"{name}: {rate.PerSecond:N0}/s ({ok:N0} ok, {failed:N0} failed, {rate.Seconds:F1} s, GC pauses {rate.GcPauseMs:N0} ms)"
            + (firstError is null ? "" : $" first error: {firstError.GetType().Name}: {firstError.Message}"));
        return rate;
    }
}
