using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using ThrottleCluster.Grains;
using System.Text;

namespace ThrottleCluster.Hosting;

/// <summary>
/// Orleans' meter as Prometheus names things. Orleans measures durations in milliseconds (and
/// memory in megabytes) and tags some measurements in PascalCase (<c>ConnectionDirection</c>);
/// Prometheus' conventions, which <c>promtool check metrics</c> enforces, are base units (seconds,
/// bytes) and snake_case labels, and an exporter can neither rescale an instrument nor rename its
/// tags. So Orleans' counters and histograms are recorded again here (meter <see cref="MeterName"/>),
/// under their own names, in seconds where Orleans says milliseconds and with snake_case tags (see <see cref="Renamed"/>), and
/// <see cref="HostTelemetry"/> exports these copies instead of the originals. Orleans' observed
/// values (activation counts, directory sizes) are exported as they are, but for the two memory
/// gauges in megabytes, which the runtime's own meter reports in bytes. Orleans' meter is one for
/// the process, so is this copy.
/// </summary>
internal static class OrleansMetricConventions
{
    public const string MeterName = "ThrottleCluster.Orleans";

    private delegate void Copy(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags);

    private static readonly Meter Meter = new(MeterName);
    private static readonly MeterListener Listener = new();
    private static readonly ConcurrentDictionary<string, string> SnakeCase = new(StringComparer.Ordinal);
    private static readonly Lazy<bool> Started = new(Start);

    /// <summary>Starts copying (once per process; later calls do nothing).</summary>
    public static void EnsureStarted() => _ = Started.Value;

    /// <summary>An Orleans instrument exported as its copy, or (observed memory in megabytes) not at all.</summary>
    public static bool IsReplaced(Instrument instrument)
        => instrument.Meter.Name == HostTelemetry.OrleansMeter && (!instrument.IsObservable || instrument.Unit is "MB");

    private static bool Start()
    {
        Listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == HostTelemetry.OrleansMeter && !instrument.IsObservable) listener.EnableMeasurementEvents(instrument, CopyOf(instrument));
        };
        Listener.SetMeasurementEventCallback<long>((_, value, tags, copy) => ((Copy)copy!)(value, tags));
        Listener.SetMeasurementEventCallback<int>((_, value, tags, copy) => ((Copy)copy!)(value, tags));
        Listener.SetMeasurementEventCallback<double>((_, value, tags, copy) => ((Copy)copy!)(value, tags));
        Listener.Start();
        return true;
    }

    private static Copy CopyOf(Instrument instrument)
    {
        var description = HostTelemetry.Describe(instrument);
        var milliseconds = instrument.Unit is "ms";
        var scale = milliseconds ? 0.001 : 1;
        var unit = milliseconds ? "s" : instrument.Unit;
        var kind = instrument.GetType().Name;
        if (kind.StartsWith("Histogram", StringComparison.Ordinal))
        {
            var advice = milliseconds ? new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets.Seconds } : null;
            var histogram = Meter.CreateHistogram<double>(instrument.Name, unit, description, tags: null, advice: advice);
            return (value, tags) => histogram.Record(value * scale, Renamed(tags));
        }
        if (kind.StartsWith("UpDownCounter", StringComparison.Ordinal))
        {
            var upDown = Meter.CreateUpDownCounter<double>(instrument.Name, unit, description);
            return (value, tags) => upDown.Add(value * scale, Renamed(tags));
        }
        var counter = Meter.CreateCounter<double>(instrument.Name, unit, description);
        return (value, tags) => counter.Add(value * scale, Renamed(tags));
    }

    /// <summary>
    /// Tags in snake_case, without the remote silo's address (<c>silo</c>): it names a silo's
    /// generation too, so every restart would start new series, and <c>/metrics</c> shows no address.
    /// </summary>
    private static TagList Renamed(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var renamed = new TagList();
        foreach (var (key, value) in tags)
        {
            if (key != "silo") renamed.Add(SnakeCase.GetOrAdd(key, ToSnakeCase), value);
        }
        return renamed;
    }

    /// <summary><c>ConnectionDirection</c> → <c>connection_direction</c>; <c>silo</c> stays <c>silo</c>.</summary>
    private static string ToSnakeCase(string name)
    {
        var snake = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0 && !char.IsUpper(name[i - 1])) snake.Append('_');
            snake.Append(char.ToLowerInvariant(name[i]));
        }
        return snake.ToString();
    }
}
