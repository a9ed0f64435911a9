namespace ThrottleCluster.Runtime.Storage;

/// <summary>
/// Versioned grain state with compare-and-set writes. Version 0 means "no state". Every write is
/// one round trip to the engine and either commits or returns what is there now, so a retry needs
/// no extra read.
/// </summary>
public interface IGrainStorage
{
    ValueTask<StoredState> ReadAsync(string key, CancellationToken cancellationToken = default);

    /// <remarks>The storage may keep <see cref="StateWrite.State"/> without copying it: the writer must not change those bytes afterwards.</remarks>
    ValueTask<WriteOutcome> WriteAsync(StateWrite write, CancellationToken cancellationToken = default);
}

/// <summary>State as stored: its version (0 when absent) and its bytes (empty when absent).</summary>
public readonly record struct StoredState(long Version, ReadOnlyMemory<byte> State)
{
    public static StoredState Missing => new(0, ReadOnlyMemory<byte>.Empty);
    public bool Exists => Version != 0;
}

/// <summary>
/// One write: replace the state at <paramref name="Key"/> if its version is still
/// <paramref name="ExpectedVersion"/>. A <paramref name="TimeToLive"/> at or below zero deletes it.
/// <paramref name="Receipts"/> are recorded beside the state (same hash slot) for
/// <see cref="ReceiptTimeToLive"/>, so a call retried after a lost answer is recognised.
/// If any id in <paramref name="CheckReceipts"/> already has a receipt, nothing is written and
/// the outcome lists those receipts.
/// </summary>
public sealed record StateWrite(
    string Key,
    long ExpectedVersion,
    ReadOnlyMemory<byte> State,
    TimeSpan TimeToLive,
    IReadOnlyList<CallReceipt> Receipts,
    IReadOnlyList<string> CheckReceipts)
{
    /// <summary>Longer than a client keeps retrying one call (3 attempts of 5 s by default), and no longer: receipts cost engine memory per call.</summary>
    public static readonly TimeSpan ReceiptTimeToLive = TimeSpan.FromSeconds(30);
}

/// <summary>The answer a call got, kept so that a retry of the same call gets the same answer.</summary>
public readonly record struct CallReceipt(string CallId, ReadOnlyMemory<byte> Result);

public enum WriteStatus { Written, Conflict, Duplicate }

/// <summary>
/// <see cref="WriteStatus.Written"/>: <see cref="Current"/> holds the new version.
/// <see cref="WriteStatus.Conflict"/>: <see cref="Current"/> holds the state that won.
/// <see cref="WriteStatus.Duplicate"/>: <see cref="Duplicates"/> holds receipts found for checked ids.
/// </summary>
public sealed record WriteOutcome(WriteStatus Status, StoredState Current, IReadOnlyList<CallReceipt> Duplicates)
{
    public static WriteOutcome Written(long version) => new(WriteStatus.Written, new StoredState(version, ReadOnlyMemory<byte>.Empty), []);
    public static WriteOutcome Conflict(StoredState current) => new(WriteStatus.Conflict, current, []);
    public static WriteOutcome Duplicate(IReadOnlyList<CallReceipt> receipts) => new(WriteStatus.Duplicate, StoredState.Missing, receipts);
}
