using System.Diagnostics.Metrics;

namespace ThrottleCluster.Api.Gate;

/// <summary>
/// Gate decisions by the verdict this Api acted on, in both modes: in cluster mode the silos'
/// <c>tc.decisions</c> are on the silos' <c>/metrics</c>, not here. A deferred request asked again
/// counts again. The dashboard reads the same totals, so its numbers are the ones <c>/metrics</c>
/// shows. Labels are verdict names only.
/// </summary>
public sealed class GateDecisionMetrics : IDisposable
{
    public const string MeterName = "ThrottleCluster.Api";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _decisions;
    private readonly long[] _totals = new long[Enum.GetValues<GateVerdict>().Length];

    public GateDecisionMetrics()
    {
        _decisions = _meter.CreateCounter<long>("tc.api.decisions", description: "Gate decisions this Api acted on, by verdict (a deferred request's later looks count again).");
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
