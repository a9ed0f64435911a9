using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Hosting;

/// <summary>
/// This silo's audit trail: the last <c>Audit:Capacity</c> entries (default 100,000) in memory,
/// oldest overwritten first. Per silo by design: it costs the engine nothing on the hot path, and
/// an operator asks each silo (the answer names which one) or reads the metrics for totals.
/// </summary>
public sealed class AuditTrail
{
    public const string CapacityKey = "Audit:Capacity";
    public const int DefaultCapacity = 100_000;
    // About a kilobyte an entry: the bound keeps a typo from reserving gigabytes.
    private const int MaxCapacity = 10_000_000;

    private readonly Lock _writing = new();
    private readonly AuditEntry?[] _ring;
    private readonly TimeProvider _time;
    private long _recorded;

    public AuditTrail(GrainKeys keys, int capacity, TimeProvider time)
    {
        if (capacity < 1 || capacity > MaxCapacity) throw new InvalidOperationException($"{CapacityKey} must be between 1 and {MaxCapacity} (was {capacity}).");
        Keys = keys;
        _ring = new AuditEntry?[capacity];
        _time = time;
    }

    /// <summary>Audit entries name accounts, addresses and networks by their grain keys: the ids Orleans logs and stores for them.</summary>
    public GrainKeys Keys { get; }

    public int Capacity => _ring.Length;

    public DateTimeOffset Now => _time.GetUtcNow();

    public void Record(AuditEntry entry)
    {
        lock (_writing)
        {
            _ring[_recorded % _ring.Length] = entry;
            _recorded++;
        }
    }

    /// <summary>Entries at or after <paramref name="from"/>, newest first.</summary>
    public IReadOnlyList<AuditEntry> Since(DateTimeOffset from)
    {
        var found = new List<AuditEntry>();
        lock (_writing)
        {
            var oldest = Math.Max(0, _recorded - _ring.Length);
            for (var i = _recorded - 1; i >= oldest; i--)
            {
                if (_ring[i % _ring.Length] is { } entry && entry.Time >= from) found.Add(entry);
            }
        }
        return found;
    }
}
