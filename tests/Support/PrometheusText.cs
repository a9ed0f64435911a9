using System.Globalization;

namespace ThrottleCluster.Tests.Support;

/// <summary>One scrape of a host's <c>/metrics</c> (Prometheus text format), read as series name with labels → value.</summary>
public sealed class PrometheusText
{
    private readonly Dictionary<string, double> _values = new(StringComparer.Ordinal);

    public PrometheusText(string text)
    {
        Text = text;
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var space = line.LastIndexOf(' ');
            _values[line[..space]] = double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
        }
    }

    public string Text { get; }

    /// <param name="series">As the scrape writes it, e.g. <c>tc_api_decisions_total{verdict="Send"}</c>.</param>
    /// <returns>The value, or 0 for a counter series not written yet.</returns>
    public double Value(string series) => _values.GetValueOrDefault(series);

    public bool Has(string series) => _values.ContainsKey(series);

    /// <summary>The sum of every series of <paramref name="metric"/> whose labels contain <paramref name="label"/> (e.g. <c>mode="open"</c>).</summary>
    public double Sum(string metric, string label)
        => _values.Where(v => v.Key.StartsWith(metric + "{", StringComparison.Ordinal) && v.Key.Contains(label, StringComparison.Ordinal)).Sum(v => v.Value);

    public static async Task<PrometheusText> ScrapeAsync(HttpClient http) => new(await http.GetStringAsync("/metrics"));
}
