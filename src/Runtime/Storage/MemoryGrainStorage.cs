using System.Collections.Concurrent;

namespace ThrottleCluster.Runtime.Storage;

/// <summary>
/// Grain storage in this process's memory: the embedded-mode default and the reference the engine
/// providers are held to. State is lost with the process.
/// </summary>
public sealed class MemoryGrainStorage(TimeProvider time) : IGrainStorage
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Receipt> _receipts = new(StringComparer.Ordinal);
    private long _writes;

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
        // One lock per key keeps check-and-set atomic without a global lock.
        lock (LockFor(write.Key))
        {
            var duplicates = new List<CallReceipt>();
            foreach (var id in write.CheckReceipts)
            {
                if (_receipts.TryGetValue(ReceiptKey(write.Key, id), out var r) && r.ExpiresAt > now)
                    duplicates.Add(new CallReceipt(id, r.Result));
            }
            if (duplicates.Count > 0) return ValueTask.FromResult(WriteOutcome.Duplicate(duplicates));

            var current = Current(write.Key, now);
            if (current.Version != write.ExpectedVersion) return ValueTask.FromResult(WriteOutcome.Conflict(current));

            var version = write.ExpectedVersion + 1;
            if (write.TimeToLive <= TimeSpan.Zero)
            {
                // A deleted grain restarts from version 0; receipts still guard its last calls.
                _entries.TryRemove(write.Key, out _);
                version = 0;
            }
            else
            {
                _entries[write.Key] = new Entry(version, write.State.ToArray(), now + write.TimeToLive);
            }
            foreach (var receipt in write.Receipts)
                _receipts[ReceiptKey(write.Key, receipt.CallId)] = new Receipt(receipt.Result.ToArray(), now + StateWrite.ReceiptTimeToLive);

            if (Interlocked.Increment(ref _writes) % 4096 == 0) Sweep(now);
            return ValueTask.FromResult(WriteOutcome.Written(version));
        }
    }

    private StoredState Current(string key, DateTimeOffset now)
        => _entries.TryGetValue(key, out var e) && e.ExpiresAt > now ? new StoredState(e.Version, e.State) : StoredState.Missing;

    private readonly object[] _stripes = Enumerable.Range(0, 64).Select(_ => new object()).ToArray();

    private object LockFor(string key) => _stripes[(uint)StringComparer.Ordinal.GetHashCode(key) % (uint)_stripes.Length];

    private static string ReceiptKey(string key, string callId) => key + "\n" + callId;

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (key, e) in _entries) if (e.ExpiresAt <= now) _entries.TryRemove(new(key, e));
        foreach (var (key, r) in _receipts) if (r.ExpiresAt <= now) _receipts.TryRemove(new(key, r));
    }

    private sealed record Entry(long Version, byte[] State, DateTimeOffset ExpiresAt);

    private sealed record Receipt(byte[] Result, DateTimeOffset ExpiresAt);
}
