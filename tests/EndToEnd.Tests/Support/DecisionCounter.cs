using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using ThrottleCluster.Silo;

namespace ThrottleCluster.EndToEnd.Tests.Support;

/// <summary>
/// Counts the silos' decisions by verdict (the <c>tc.decisions</c> counter of
/// <see cref="DecisionMetrics"/>), from every silo in this process. A silo records a decision before
/// it answers, so a count read after the Api's 202 already includes the decision behind it.
/// </summary>
public sealed class DecisionCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _counts = new();

    public DecisionCounter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == DecisionMetrics.MeterName && instrument.Name == "tc.decisions") listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "verdict") _counts.AddOrUpdate(tag.Value?.ToString() ?? "", value, (_, old) => old + value);
            }
        });
        _listener.Start();
    }

    public Snapshot Take() => new(new Dictionary<string, long>(_counts));

    public void Dispose() => _listener.Dispose();

    public sealed record Snapshot(IReadOnlyDictionary<string, long> Counts)
    {
        public long this[string verdict] => Counts.GetValueOrDefault(verdict);

        /// <summary>What was decided between <paramref name="before"/> and this snapshot, e.g. "Send" or "Suppress=1, Send=1".</summary>
        public string Since(Snapshot before)
        {
            var changes = Counts.Select(c => (c.Key, Delta: c.Value - before[c.Key])).Where(c => c.Delta != 0).OrderBy(c => c.Key, StringComparer.Ordinal).ToList();
            return changes is [{ Delta: 1 } single] ? single.Key : string.Join(", ", changes.Select(c => $"{c.Key}={c.Delta}"));
        }
    }
}
