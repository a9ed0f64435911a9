using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ThrottleCluster.Hosting;

/// <summary>
/// Collects this process's System.Diagnostics.Metrics instruments whose meter name starts with
/// a prefix and renders them in the Prometheus text format. No exporter package restores here,
/// and the format is small enough to own.
/// </summary>
public sealed class PrometheusMetrics : IDisposable
{
    private static readonly double[] DurationBuckets = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 5000];
    private static readonly double[] SizeBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, Series> _series = new();
    // Several hosts in one process (tests, an Api with its embedded silo) each make their own
    // instruments of the same name: they feed one series, so no name is exposed twice.
    private readonly ConcurrentDictionary<string, Series> _byName = new(StringComparer.Ordinal);

    public PrometheusMetrics(string meterPrefix = "ThrottleCluster")
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!instrument.Meter.Name.StartsWith(meterPrefix, StringComparison.Ordinal)) return;
            _series[instrument] = _byName.GetOrAdd(Series.MetricName(instrument), _ => new Series(instrument));
            listener.EnableMeasurementEvents(instrument);
        };
        _listener.MeasurementsCompleted = (instrument, _) => _series.TryRemove(instrument, out Series? _);
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    public string Render()
    {
        _listener.RecordObservableInstruments();
        var text = new StringBuilder();
        foreach (var series in _byName.Values.OrderBy(s => s.Name, StringComparer.Ordinal)) series.Render(text);
        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (_series.TryGetValue(instrument, out var series)) series.Record(value, tags);
    }

    private sealed class Series(Instrument instrument)
    {
        private readonly ConcurrentDictionary<string, Point> _points = new(StringComparer.Ordinal);
        private readonly bool _isHistogram = instrument.GetType().Name.StartsWith("Histogram", StringComparison.Ordinal);
        private readonly bool _isGauge = instrument.GetType().Name.Contains("Gauge", StringComparison.Ordinal)
                                         || instrument.GetType().Name.Contains("UpDown", StringComparison.Ordinal);
        private readonly double[] _buckets = instrument.Unit is "ms" or "s" ? DurationBuckets : SizeBuckets;

        public string Name { get; } = MetricName(instrument);

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var point = _points.GetOrAdd(Labels(tags), _ => new Point(_buckets.Length));
            lock (point)
            {
                if (_isHistogram)
                {
                    point.Count++;
                    point.Sum += value;
                    for (var b = 0; b < _buckets.Length; b++) if (value <= _buckets[b]) point.Buckets[b]++;
                }
                else if (instrument.IsObservable) point.Sum = value; // observed totals, not increments
                else point.Sum += value;
            }
        }

        public void Render(StringBuilder text)
        {
            var type = _isHistogram ? "histogram" : _isGauge ? "gauge" : "counter";
            var name = type == "counter" ? Name + "_total" : Name;
            if (instrument.Description is { Length: > 0 } help) text.Append("# HELP ").Append(name).Append(' ').Append(help.Replace("\n", " ")).Append('\n');
            text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
            foreach (var (labels, point) in _points.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                lock (point)
                {
                    if (!_isHistogram)
                    {
                        text.Append(name).Append(Braces(labels)).Append(' ').Append(Number(point.Sum)).Append('\n');
                        continue;
                    }
                    for (var b = 0; b < _buckets.Length; b++)
                        text.Append(name).Append("_bucket").Append(Braces(Join(labels, $"le=\"{Number(_buckets[b])}\""))).Append(' ').Append(point.Buckets[b]).Append('\n');
                    text.Append(name).Append("_bucket").Append(Braces(Join(labels, "le=\"+Inf\""))).Append(' ').Append(point.Count).Append('\n');
                    text.Append(name).Append("_sum").Append(Braces(labels)).Append(' ').Append(Number(point.Sum)).Append('\n');
                    text.Append(name).Append("_count").Append(Braces(labels)).Append(' ').Append(point.Count).Append('\n');
                }
            }
        }

        public static string MetricName(Instrument instrument)
        {
            var name = new StringBuilder();
            foreach (var c in instrument.Name) name.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
            if (instrument.Unit is "ms") name.Append("_milliseconds");
            else if (instrument.Unit is "s") name.Append("_seconds");
            return name.ToString();
        }

        private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length == 0) return "";
            var pairs = new List<string>(tags.Length);
            foreach (var (key, value) in tags)
            {
                var escaped = Convert.ToString(value, CultureInfo.InvariantCulture)?.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
                pairs.Add($"{key.Replace('.', '_')}=\"{escaped}\"");
            }
            pairs.Sort(StringComparer.Ordinal);
            return string.Join(',', pairs);
        }

        private static string Join(string labels, string extra) => labels.Length == 0 ? extra : labels + "," + extra;

        private static string Braces(string labels) => labels.Length == 0 ? "" : "{" + labels + "}";

        private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
    }

    private sealed class Point(int buckets)
    {
        public long Count;
        public double Sum;
        public readonly long[] Buckets = new long[buckets];
    }
}

public static class PrometheusMetricsEndpoint
{
    public static IEndpointConventionBuilder MapPrometheusMetrics(this IEndpointRouteBuilder endpoints, string path = "/metrics")
        => endpoints.MapGet(path, (PrometheusMetrics metrics) => Results.Text(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8"));
}
