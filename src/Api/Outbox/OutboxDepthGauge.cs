using System.Diagnostics.Metrics;
using ThrottleCluster.Runtime.Hosting;

namespace ThrottleCluster.Api.Outbox;

/// <summary>
/// The outbox's depth by state as a gauge (<c>tc.outbox.depth</c>): pending, in_flight (claimed,
/// not yet finished), delayed (waiting for a retry) and dead. In cluster mode the counts are the
/// shared queue's, read from the engine every <see cref="Interval"/> in the background: a gauge's
/// callback cannot wait for the engine, and a scrape should not cost engine round trips.
/// </summary>
public sealed class OutboxDepthGauge : PeriodicRefresh
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    private readonly Meter _meter = new(OutboxStatistics.MeterName + ".Depth");
    private readonly IOutboxMonitor _monitor;
    private volatile OutboxCounts? _latest;

    public OutboxDepthGauge(IOutboxMonitor monitor, TimeProvider time, ILogger<OutboxDepthGauge> logger) : base(Interval, time, logger)
    {
        _monitor = monitor;
        _meter.CreateObservableGauge("tc.outbox.depth", Observe, description: "Reset emails in the outbox by state: pending, in_flight, delayed, dead.");
    }

    /// <summary>The counts last read; null until the first read succeeds.</summary>
    public OutboxCounts? Latest => _latest;

    protected override string What => "The outbox depth";

    public override async Task RefreshAsync(CancellationToken ct) => _latest = await _monitor.GetCountsAsync(ct);

    public override void Dispose()
    {
        _meter.Dispose();
        base.Dispose();
    }

    private IEnumerable<Measurement<long>> Observe()
    {
        if (_latest is not { } counts) return [];
        return
        [
            new(counts.Pending, new KeyValuePair<string, object?>("state", "pending")),
            new(counts.Processing, new KeyValuePair<string, object?>("state", "in_flight")),
            new(counts.Delayed, new KeyValuePair<string, object?>("state", "delayed")),
            new(counts.Dead, new KeyValuePair<string, object?>("state", "dead")),
        ];
    }
}
