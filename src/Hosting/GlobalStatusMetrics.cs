using System.Diagnostics.Metrics;

namespace ThrottleCluster.Hosting;

/// <summary>
/// The global breaker's stage and the global budget as gauges, next to the sent and decision
/// counters, so "emails per minute against the budget" is one query. Nothing is reported while the
/// status is unknown (the engine not read yet), rather than a made-up zero.
/// </summary>
public sealed class GlobalStatusMetrics : IDisposable
{
    public const string MeterName = "ThrottleCluster.Global";

    private readonly Meter _meter = new(MeterName);

    public GlobalStatusMetrics(IGlobalStatus status)
    {
        _meter.CreateObservableGauge("tc.global.breaker_stage", () => Observe(status, s => s.BreakerStage),
            description: "Global surge breaker: 0 normal, 1 tightened, 2 shed.");
        _meter.CreateObservableGauge("tc.global.budget_per_minute", () => Observe(status, s => s.GlobalBudgetPerMinute),
            description: "Global reset-email budget per minute of the policy in force.");
    }

    public void Dispose() => _meter.Dispose();

    private static IEnumerable<Measurement<int>> Observe(IGlobalStatus status, Func<ServiceStatus, int> value)
        => status.Current is { } current ? [new Measurement<int>(value(current))] : [];
}
