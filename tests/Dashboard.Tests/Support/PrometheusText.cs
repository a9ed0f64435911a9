using System.Globalization;

namespace ThrottleCluster.Dashboard.Tests.Support;

/// <summary>One scrape of <c>/metrics</c>, read as series name with labels → value.</summary>
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

    /// <param name="series">As written in the scrape, e.g. <c>tc_api_decisions_total{verdict="Send"}</c>.</param>
    /// <returns>The value, or 0 for a counter series not written yet.</returns>
    public double Value(string series) => _values.GetValueOrDefault(series);

    public bool Has(string series) => _values.ContainsKey(series);

    public static async Task<PrometheusText> ScrapeAsync(HttpClient http) => new(await http.GetStringAsync("/metrics"));
}
