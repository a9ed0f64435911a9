using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.EndToEnd.Tests.Support;

/// <summary>
/// The Api's gate decisions by verdict, as its <c>/metrics</c> shows them
/// (<c>tc_api_decisions_total{verdict="..."}</c>). The Api counts a decision before it answers, so
/// a count read after its 202 already includes the decision behind it.
/// </summary>
public sealed class DecisionCounter(HttpClient api)
{
    private const string VerdictLabel = "verdict=\"";

    public async Task<Snapshot> TakeAsync()
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (labels, value) in (await PrometheusText.ScrapeAsync(api)).Series("tc_api_decisions_total"))
        {
            Assert.StartsWith(VerdictLabel, labels);
            counts[labels[VerdictLabel.Length..^1]] = (long)value;
        }
        return new Snapshot(counts);
    }

    public sealed record Snapshot(IReadOnlyDictionary<string, long> Counts)
    {
        public long this[string verdict] => Counts.GetValueOrDefault(verdict);

        /// <summary>What was decided between <paramref name="before"/> and this snapshot, e.g. "Send" or "Send=1, Suppress=1".</summary>
        public string Since(Snapshot before)
        {
            var changes = Counts.Select(c => (c.Key, Delta: c.Value - before[c.Key])).Where(c => c.Delta != 0).OrderBy(c => c.Key, StringComparer.Ordinal).ToList();
            return changes is [{ Delta: 1 } single] ? single.Key : string.Join(", ", changes.Select(c => $"{c.Key}={c.Delta}"));
        }
    }
}
