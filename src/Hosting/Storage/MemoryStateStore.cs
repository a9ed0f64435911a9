using System.Collections.Concurrent;

namespace ThrottleCluster.Hosting.Storage;

/// <summary>
/// Grain state in this process's memory, with compare-and-set by ETag and expiry: embedded mode's
/// store, lost when the process stops. Silos of one process (a test cluster) may share one.
/// </summary>
public sealed class MemoryStateStore(TimeProvider time)
{
    private static readonly TimeSpan SweepEvery = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<GrainId, Entry> _entries = new();
    private long _nextSweep;
    private int _sweeping;

    public int Count => _entries.Count;

    /// <summary>Whether an entry is still in memory, expired or not (for tests of the sweep).</summary>
    internal bool Holds(GrainId key) => _entries.ContainsKey(key);

    public Entry? Read(GrainId key)
    {
        if (!_entries.TryGetValue(key, out var entry)) return null;
        if (!entry.ExpiredAt(time.GetUtcNow())) return entry;
        _entries.TryRemove(new(key, entry));
        return null;
    }

    /// <summary>Replaces the entry if its ETag is still <paramref name="expectedETag"/> (null: none, or expired).</summary>
    /// <returns>The new ETag, or null when the ETag did not match.</returns>
    public string? TryWrite(GrainId key, string? expectedETag, byte[] state, DateTimeOffset? expiresAt)
    {
        var next = new Entry(state, ETags.New(), expiresAt);
        var written = expectedETag is null
            ? Read(key) is null && _entries.TryAdd(key, next)
            : _entries.TryGetValue(key, out var current) && current.ETag == expectedETag && _entries.TryUpdate(key, next, current);
        if (written) SweepNowAndThen();
        return written ? next.ETag : null;
    }

    /// <returns>Whether the entry was removed: false when its ETag did not match.</returns>
    public bool TryDelete(GrainId key, string? expectedETag)
    {
        if (expectedETag is null) return Read(key) is null;
        return _entries.TryGetValue(key, out var current) && current.ETag == expectedETag
            && _entries.TryRemove(new(key, current));
    }

    // Expired entries are dropped on read, and swept every few seconds off the writer's path, so a
    // flood's one-call grains do not stay in memory after their state stopped mattering.
    private void SweepNowAndThen()
    {
        var now = time.GetUtcNow();
        if (now.UtcTicks < Interlocked.Read(ref _nextSweep) || Interlocked.Exchange(ref _sweeping, 1) == 1) return;
        Interlocked.Exchange(ref _nextSweep, (now + SweepEvery).UtcTicks);
        _ = Task.Run(() =>
        {
            try
            {
                foreach (var (key, entry) in _entries)
                    if (entry.ExpiredAt(now)) _entries.TryRemove(new(key, entry));
            }
            finally
            {
                Volatile.Write(ref _sweeping, 0);
            }
        });
    }

    public sealed record Entry(byte[] State, string ETag, DateTimeOffset? ExpiresAt)
    {
        public bool ExpiredAt(DateTimeOffset now) => ExpiresAt <= now;
    }
}
