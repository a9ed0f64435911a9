using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace ThrottleCluster.Runtime.Storage;

/// <summary>
/// Grain storage in this process's memory: the embedded-mode default and the reference the engine
/// providers are held to. State is lost with the process.
/// </summary>
public sealed class MemoryGrainStorage(TimeProvider time) : IGrainStorage
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Receipt> _receipts = new(StringComparer.Ordinal);
    private long _nextSweep;

    public MemoryGrainStorage() : this(TimeProvider.System) { }

    /// <summary>Number of keys currently holding unexpired state.</summary>
    public int Count
    {
        get
        {
            var now = time.GetUtcNow();
            return _entries.Values.Count(e => e.ExpiresAt > now);
        }
    }

    public ValueTask<StoredState> ReadAsync(string key, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(Current(key, time.GetUtcNow()));

    public ValueTask<WriteOutcome> WriteAsync(StateWrite write, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        // Copies and keys are made before taking the lock, so that it is held for the check-and-set alone.
        var checks = write.CheckReceipts.Select(id => (Id: id, Key: ReceiptKey(write.Key, id))).ToArray();
        var receipts = write.Receipts.Select(r => (Key: ReceiptKey(write.Key, r.CallId), Value: new Receipt(r.Result.ToArray(), now + StateWrite.ReceiptTimeToLive))).ToArray();
        var delete = write.TimeToLive <= TimeSpan.Zero;
        var state = delete ? ReadOnlyMemory<byte>.Empty : Keep(write.State);
        long version;
        // One lock per key keeps check-and-set atomic without a global lock.
        lock (LockFor(write.Key))
        {
            List<CallReceipt>? duplicates = null;
            foreach (var (id, key) in checks)
            {
                if (_receipts.TryGetValue(key, out var r) && r.ExpiresAt > now)
                    (duplicates ??= []).Add(new CallReceipt(id, r.Result));
            }
            if (duplicates is not null) return ValueTask.FromResult(WriteOutcome.Duplicate(duplicates));

            var current = Current(write.Key, now);
            if (current.Version != write.ExpectedVersion) return ValueTask.FromResult(WriteOutcome.Conflict(current));

            if (delete)
            {
                // A deleted grain restarts from version 0; receipts still guard its last calls.
                _entries.TryRemove(write.Key, out _);
                version = 0;
            }
            else
            {
                version = write.ExpectedVersion + 1;
                _entries[write.Key] = new Entry(version, state, now + write.TimeToLive);
            }
            foreach (var (key, receipt) in receipts) _receipts[key] = receipt;
        }
        SweepIfDue(now);
        return ValueTask.FromResult(WriteOutcome.Written(version));
    }

    // The writer hands its bytes over (IGrainStorage.WriteAsync), so a whole array is kept as is:
    // one array per grain instead of two when the activation keeps the same bytes.
    private static ReadOnlyMemory<byte> Keep(ReadOnlyMemory<byte> state)
        => MemoryMarshal.TryGetArray(state, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length ? state : state.ToArray();

    private StoredState Current(string key, DateTimeOffset now)
        => _entries.TryGetValue(key, out var e) && e.ExpiresAt > now ? new StoredState(e.Version, e.State) : StoredState.Missing;

    private readonly object[] _stripes = Enumerable.Range(0, 1024).Select(_ => new object()).ToArray();

    private object LockFor(string key) => _stripes[(uint)StringComparer.Ordinal.GetHashCode(key) % (uint)_stripes.Length];

    private static string ReceiptKey(string key, string callId) => key + "\n" + callId;

    /// <summary>
    /// Drops expired entries and receipts at most once per <see cref="SweepInterval"/>, on one
    /// writer, outside the key locks: a sweep walks everything, and under a lock (or every few
    /// thousand writes) it made writers queue behind it.
    /// </summary>
    private void SweepIfDue(DateTimeOffset now)
    {
        var due = Interlocked.Read(ref _nextSweep);
        // The one writer that moves the due time on does the sweep.
        if (now.UtcTicks < due || Interlocked.CompareExchange(ref _nextSweep, (now + SweepInterval).UtcTicks, due) != due) return;
        // Removing only the expired value: an entry rewritten meanwhile stays.
        foreach (var (key, e) in _entries) if (e.ExpiresAt <= now) _entries.TryRemove(new(key, e));
        foreach (var (key, r) in _receipts) if (r.ExpiresAt <= now) _receipts.TryRemove(new(key, r));
    }

    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(5);

    // A struct: held inside the dictionary's node, one object less per grain.
    private readonly record struct Entry(long Version, ReadOnlyMemory<byte> State, DateTimeOffset ExpiresAt);

    private sealed record Receipt(byte[] Result, DateTimeOffset ExpiresAt);
}
