using System.Globalization;
using System.Text.RegularExpressions;

namespace ThrottleCluster.Tests.Support;

/// <summary>
/// One scrape of a host's <c>/metrics</c> (Prometheus text format), read as series name with labels → value.
/// A series is named with its labels sorted and without the <c>otel_scope_*</c> labels the OpenTelemetry
/// exporter adds to every sample (the meter a series came from: no two of the product's meters share a name).
/// </summary>
public sealed partial class PrometheusText
{
    private readonly Dictionary<string, double> _values = new(StringComparer.Ordinal);

    public PrometheusText(string text)
    {
        Text = text;
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var sample = SampleLine().Match(line);
            if (!sample.Success) throw new FormatException($"Not a Prometheus sample line: '{line}'");
            var labels = sample.Groups["label"].Captures.Select(c => c.Value)
                .Where(label => !label.StartsWith("otel_scope_", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)
                .ToList();
            var series = labels.Count == 0 ? sample.Groups["name"].Value : $"{sample.Groups["name"].Value}{{{string.Join(',', labels)}}}";
            _values[series] = double.Parse(sample.Groups["value"].Value, CultureInfo.InvariantCulture);
        }
    }

    public string Text { get; }

    /// <param name="series">Labels sorted, e.g. <c>tc_api_decisions_total{verdict="Send"}</c>.</param>
    /// <returns>The value, or 0 for a counter series not written yet.</returns>
    public double Value(string series) => _values.GetValueOrDefault(series);

    public bool Has(string series) => _values.ContainsKey(series);

    /// <summary>Every series of <paramref name="metric"/> with its labels (<c>verdict="Send"</c>) and value.</summary>
    public IEnumerable<(string Labels, double Value)> Series(string metric)
        => _values.Where(v => v.Key.StartsWith(metric + "{", StringComparison.Ordinal)).Select(v => (v.Key[(metric.Length + 1)..^1], v.Value));

    /// <summary>The sum of every series of <paramref name="metric"/> whose labels contain <paramref name="label"/> (e.g. <c>mode="open"</c>).</summary>
    public double Sum(string metric, string label) => Series(metric).Where(s => s.Labels.Contains(label, StringComparison.Ordinal)).Sum(s => s.Value);

    public static async Task<PrometheusText> ScrapeAsync(HttpClient http) => new(await http.GetStringAsync("/metrics"));

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?<label>[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*"),?)*\})? (?<value>\S+)$""")]
    private static partial Regex SampleLine();
}
