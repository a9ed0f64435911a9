using System.Diagnostics.Metrics;

namespace ThrottleCluster.Api.Gate;

/// <summary>
/// Reset requests by the verdict the gate gave this Api, in both modes (in cluster mode the silos'
/// <c>tc.decisions</c> are on the silos' <c>/metrics</c>, not here). The dashboard reads the same
/// totals, so its numbers are the ones <c>/metrics</c> shows. Labels are verdict names only.
/// </summary>
public sealed class GateDecisionMetrics : IDisposable
{
    public const string MeterName = "ThrottleCluster.Api";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _decisions;
    private readonly long[] _totals = new long[Enum.GetValues<GateVerdict>().Length];

    public GateDecisionMetrics()
    {
        _decisions = _meter.CreateCounter<long>("tc.api.decisions", description: "Reset requests by the gate's verdict, as this Api acted on them.");
    }

    public void Record(GateVerdict verdict)
    {
        Interlocked.Increment(ref _totals[(int)verdict]);
        _decisions.Add(1, new KeyValuePair<string, object?>("verdict", verdict.ToString()));
    }

    /// <summary>Requests with this verdict since start: the value <c>tc_api_decisions_total</c> shows.</summary>
    public long Total(GateVerdict verdict) => Interlocked.Read(ref _totals[(int)verdict]);

    public void Dispose() => _meter.Dispose();
}
