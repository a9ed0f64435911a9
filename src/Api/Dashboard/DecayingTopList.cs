namespace ThrottleCluster.Api.Dashboard;

/// <summary>
/// The keys seen most often lately, in bounded memory: each sighting weighs 1 and halves every
/// <c>halfLife</c>, at most <c>capacity</c> keys are kept, and a new key pushes out the lightest.
/// Weights are kept in forward-decayed form (scaled to a landmark time), so a sighting costs one
/// dictionary update instead of decaying every entry.
/// </summary>
public sealed class DecayingTopList(int capacity, TimeSpan halfLife, TimeProvider time)
{
    // Past this exponent the stored weights are rescaled to a new landmark before they overflow.
    private const double MaxExponent = 30;
    // Lighter than this after rescaling (a sighting about 17 half-lives old) is forgotten.
    private const double Forgotten = 1e-5;

    private readonly double _lambda = Math.Log(2) / halfLife.TotalSeconds;
    private readonly Dictionary<string, double> _weights = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private DateTimeOffset _landmark = time.GetUtcNow();

    public int Count
    {
        get
        {
            lock (_lock) return _weights.Count;
        }
    }

    public void Add(string key)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            var exponent = _lambda * (now - _landmark).TotalSeconds;
            if (exponent > MaxExponent)
            {
                Rescale(exponent, now);
                exponent = 0;
            }
            if (!_weights.ContainsKey(key) && _weights.Count >= capacity) _weights.Remove(Lightest());
            _weights[key] = _weights.GetValueOrDefault(key) + Math.Exp(exponent);
        }
    }

    /// <summary>The <paramref name="count"/> heaviest keys with their current weight (about the sightings of the last half-life and a half).</summary>
    public IReadOnlyList<(string Key, double Weight)> Top(int count)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            var scale = Math.Exp(-_lambda * (now - _landmark).TotalSeconds);
            return _weights.OrderByDescending(w => w.Value).ThenBy(w => w.Key, StringComparer.Ordinal).Take(count)
                .Select(w => (w.Key, w.Value * scale)).ToList();
        }
    }

    private string Lightest()
    {
        var lightest = default(KeyValuePair<string, double>);
        foreach (var entry in _weights)
            if (lightest.Key is null || entry.Value < lightest.Value) lightest = entry;
        return lightest.Key!;
    }

    private void Rescale(double exponent, DateTimeOffset now)
    {
        var scale = Math.Exp(-exponent);
        foreach (var key in _weights.Keys.ToList())
        {
            var weight = _weights[key] * scale;
            if (weight < Forgotten) _weights.Remove(key);
            else _weights[key] = weight;
        }
        _landmark = now;
    }
}
