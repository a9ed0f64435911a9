using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace ThrottleCluster.Benchmarks;

/// <summary>
/// Orleans' own instruments in this process (meter <c>Microsoft.Orleans</c>) that say what a silo
/// holds: the catalog's activation gauge (one measurement per grain type), the grain directory's
/// cache and partition sizes, and the counters of activations created, destroyed and shut down (by
/// how: collection, deactivate on idle...).
/// </summary>
public sealed class OrleansMeters : IDisposable
{
    private const string Activations = "orleans-catalog-activations";
    private static readonly string[] Gauges = ["orleans-directory-cache-size", "orleans-directory-partition-size"];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _totals = new(StringComparer.Ordinal);
    private readonly Lock _observing = new();
    private Dictionary<string, long> _activations = new(StringComparer.Ordinal);
    private Dictionary<string, long> _gauges = new(StringComparer.Ordinal);

    public OrleansMeters()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Microsoft.Orleans"
                && (instrument.Name.StartsWith("orleans-catalog-activation", StringComparison.Ordinal) || Gauges.Contains(instrument.Name)))
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    /// <summary>The gauges now: activations in the silo's catalog by grain type, and the directory's sizes by instrument name.</summary>
    public (IReadOnlyDictionary<string, long> ActivationsByType, IReadOnlyDictionary<string, long> Directory) Observe()
    {
        lock (_observing)
        {
            _activations = new Dictionary<string, long>(StringComparer.Ordinal);
            _gauges = new Dictionary<string, long>(StringComparer.Ordinal);
            _listener.RecordObservableInstruments();
            return (_activations, _gauges);
        }
    }

    /// <summary>Running totals of the counters, e.g. <c>orleans-catalog-activation-shutdown{via=deactivateOnIdle}</c>.</summary>
    public IReadOnlyDictionary<string, long> Totals => new SortedDictionary<string, long>(_totals, StringComparer.Ordinal);

    private void Record(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (instrument.Name == Activations)
        {
            var type = "";
            foreach (var (key, tag) in tags) if (key == "grain_type") type = tag?.ToString() ?? "";
            _activations[type] = _activations.GetValueOrDefault(type) + value;
            return;
        }
        if (instrument.IsObservable)
        {
            if (Gauges.Contains(instrument.Name)) _gauges[instrument.Name] = _gauges.GetValueOrDefault(instrument.Name) + value;
            return;
        }
        var name = instrument.Name;
        foreach (var (key, tag) in tags) name += $"{{{key}={tag}}}";
        _totals.AddOrUpdate(name, value, (_, total) => total + value);
    }

    public void Dispose() => _listener.Dispose();
}
