using System.Diagnostics.Metrics;

namespace ThrottleCluster.Api.Outbox;

/// <summary>
/// One reset email to send. It carries no token: the dispatcher issues the token when it sends,
/// so nothing in the outbox (which may live in Garnet/Redis) can reset a password.
/// </summary>
/// <param name="Id">Unique per request; makes every queued item distinct.</param>
/// <param name="Attempts">Failed send attempts so far.</param>
/// <param name="LastError">Why the last attempt failed (for operators).</param>
public sealed record ResetEmailJob(string Id, string AccountId, string Email, DateTimeOffset RequestedAt, int Attempts = 0, string? LastError = null)
{
    public static ResetEmailJob Create(string accountId, string email, DateTimeOffset now)
        => new(Guid.NewGuid().ToString("N"), accountId, email, now);

    /// <summary>
    /// A claim that ran out its visibility timeout counts as a failed attempt: a job whose dispatcher
    /// dies or hangs on it every time then reaches the dead letters instead of looping forever.
    /// </summary>
    public ResetEmailJob AfterExpiredClaims(int claims)
        => claims <= 0 ? this : this with { Attempts = Attempts + claims, LastError = $"claimed {claims} time(s) and not settled within Outbox:VisibilityTimeout (its dispatcher died or hung)" };
}

/// <summary>A claimed job: it stays in the processing list until completed, failed or released, or until its visibility timeout passes.</summary>
/// <param name="Handle">The outbox's own handle for the claimed item (the stored bytes for Redis).</param>
public sealed record OutboxLease(ResetEmailJob Job, object Handle, DateTimeOffset ClaimedAt);

public enum FailureOutcome
{
    /// <summary>Queued again after a backoff delay.</summary>
    Retried,

    /// <summary>Out of attempts (or permanent): moved to the dead letters.</summary>
    DeadLettered,

    /// <summary>The lease had already been taken back (visibility timeout): nothing was changed.</summary>
    LeaseLost,
}

/// <summary>
/// A durable, at-least-once queue of reset emails: pending, processing (claimed, with the time of
/// the claim), delayed (retries waiting for their backoff) and dead (out of attempts).
/// </summary>
public interface IOutbox
{
    Task EnqueueAsync(ResetEmailJob job, CancellationToken ct);

    /// <summary>Moves the oldest pending job to processing, atomically; null when none is pending.</summary>
    Task<OutboxLease?> TryClaimAsync(CancellationToken ct);

    /// <summary>The email left: forget the job.</summary>
    Task CompleteAsync(OutboxLease lease, CancellationToken ct);

    /// <summary>The attempt failed: retry after a backoff, or dead-letter when out of attempts or <paramref name="permanent"/>.</summary>
    Task<FailureOutcome> FailAsync(OutboxLease lease, string error, bool permanent, CancellationToken ct);

    /// <summary>Puts a claimed job back at the head of the queue without counting an attempt (shutdown).</summary>
    Task ReleaseAsync(OutboxLease lease, CancellationToken ct);

    /// <summary>Moves retries whose time has come to pending, and jobs claimed longer than the visibility timeout ago back to pending.</summary>
    /// <returns>How many jobs were moved.</returns>
    Task<int> MaintainAsync(CancellationToken ct);

    /// <summary>Returns when work may be there: at once after a local enqueue, else after at most <paramref name="timeout"/>.</summary>
    Task WaitForWorkAsync(TimeSpan timeout, CancellationToken ct);
}

/// <summary>What operators see of the outbox and do with it (for /metrics, the admin API and throttlectl).</summary>
public interface IOutboxMonitor
{
    Task<OutboxCounts> GetCountsAsync(CancellationToken ct);

    /// <summary>The most recent dead letters, newest first.</summary>
    Task<IReadOnlyList<ResetEmailJob>> GetDeadLettersAsync(int max, CancellationToken ct);

    /// <summary>This process's counters since start.</summary>
    OutboxStatistics Statistics { get; }

    /// <summary>Queues the dead letters with these job ids (all when null) again, with their attempts reset.</summary>
    /// <returns>How many were queued again.</returns>
    Task<int> ReplayDeadLettersAsync(IReadOnlySet<string>? ids, CancellationToken ct);

    /// <summary>Deletes the dead letters with these job ids (all when null).</summary>
    /// <returns>How many were deleted.</returns>
    Task<int> PurgeDeadLettersAsync(IReadOnlySet<string>? ids, CancellationToken ct);
}

/// <summary>Shared by the outboxes' dead-letter handling.</summary>
internal static class DeadLetters
{
    /// <summary>Listed in place of an item that cannot be read (kept for operators, never sent).</summary>
    public static readonly ResetEmailJob Unreadable = new("?", "?", "?", DateTimeOffset.MinValue, 0, "unreadable item");

    /// <summary>A replayed dead letter starts its attempts again; why it died stays visible until it is sent.</summary>
    public static ResetEmailJob Replayed(ResetEmailJob job) => job with { Attempts = 0, LastError = $"replayed by an operator; it had died after {job.Attempts} attempt(s): {job.LastError}" };
}

/// <param name="Pending">Waiting to be sent.</param>
/// <param name="Processing">Claimed by a dispatcher and not yet finished.</param>
/// <param name="Delayed">Failed at least once, waiting for the backoff to pass.</param>
/// <param name="Dead">Out of attempts (at most <c>Outbox:MaxDeadLetters</c>).</param>
/// <param name="DeadDropped">Dead letters dropped, oldest first, to keep the dead list within <c>Outbox:MaxDeadLetters</c>.</param>
public sealed record OutboxCounts(long Pending, long Processing, long Delayed, long Dead, long DeadDropped = 0);

/// <summary>Counters of this process (the counts above are the queue's, shared by all instances).</summary>
public sealed class OutboxStatistics : IDisposable
{
    public const string MeterName = "ThrottleCluster.Outbox";

    private readonly Meter _meter = new(MeterName);
    private long _enqueued, _enqueueFailed, _sent, _retried, _deadLettered, _recovered;
    private OutboxCounts? _counts;

    public OutboxStatistics()
    {
        _meter.CreateObservableCounter("tc.outbox.enqueued", () => Enqueued, description: "Reset emails queued by this process.");
        _meter.CreateObservableCounter("tc.outbox.enqueue_failed", () => EnqueueFailed, description: "Accepted requests whose email could not be queued.");
        _meter.CreateObservableCounter("tc.outbox.sent", () => Sent, description: "Reset emails handed to SMTP or the pickup directory.");
        _meter.CreateObservableCounter("tc.outbox.retried", () => Retried, description: "Failed sends put back for a later attempt.");
        _meter.CreateObservableCounter("tc.outbox.dead_lettered", () => DeadLettered, description: "Emails given up after the last attempt.");
        _meter.CreateObservableCounter("tc.outbox.recovered", () => Recovered, description: "Jobs taken back after their visibility timeout.");
        // The queue's own sizes (shared by every instance), as last read by this process's dispatcher.
        _meter.CreateObservableGauge("tc.outbox.jobs", ObserveJobs, description: "Reset emails in the outbox by state (pending, processing, delayed, dead).");
        _meter.CreateObservableGauge("tc.outbox.dead_dropped", ObserveDeadDropped, description: "Dead letters dropped to keep the dead list within Outbox:MaxDeadLetters.");
    }

    public void Dispose() => _meter.Dispose();

    public long Enqueued => Interlocked.Read(ref _enqueued);
    /// <summary>Accepted requests whose email could not be queued (the outbox's engine was unreachable).</summary>
    public long EnqueueFailed => Interlocked.Read(ref _enqueueFailed);

    public long Sent => Interlocked.Read(ref _sent);
    public long Retried => Interlocked.Read(ref _retried);
    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    /// <summary>Jobs taken back from processing after their visibility timeout (a dispatcher died or hung).</summary>
    public long Recovered => Interlocked.Read(ref _recovered);

    /// <summary>The queue's sizes as last read (null until the dispatcher's first read).</summary>
    public OutboxCounts? Counts => Volatile.Read(ref _counts);

    internal void OnCounts(OutboxCounts counts) => Volatile.Write(ref _counts, counts);

    private IEnumerable<Measurement<long>> ObserveJobs()
    {
        if (Counts is not { } counts) return [];
        return
        [
            new(counts.Pending, new KeyValuePair<string, object?>("state", "pending")),
            new(counts.Processing, new KeyValuePair<string, object?>("state", "processing")),
            new(counts.Delayed, new KeyValuePair<string, object?>("state", "delayed")),
            new(counts.Dead, new KeyValuePair<string, object?>("state", "dead")),
        ];
    }

    private IEnumerable<Measurement<long>> ObserveDeadDropped() => Counts is { } counts ? [new(counts.DeadDropped)] : [];

    internal void OnEnqueued() => Interlocked.Increment(ref _enqueued);
    internal void OnEnqueueFailed() => Interlocked.Increment(ref _enqueueFailed);
    internal void OnSent() => Interlocked.Increment(ref _sent);
    internal void OnRetried() => Interlocked.Increment(ref _retried);
    internal void OnDeadLettered() => Interlocked.Increment(ref _deadLettered);
    internal void OnRecovered(int count) => Interlocked.Add(ref _recovered, count);
}
