using Microsoft.Extensions.Options;

namespace ThrottleCluster.Api.Outbox;

/// <summary>
/// The embedded-mode outbox: the same states and rules as <see cref="RedisOutbox"/>, in this
/// process's memory. Jobs are lost when the process stops (embedded mode says so at start).
/// </summary>
public sealed class MemoryOutbox(IOptions<OutboxOptions> options, TimeProvider time, OutboxStatistics statistics) : IOutbox, IOutboxMonitor
{
    private readonly OutboxOptions _options = options.Value;
    private readonly Lock _lock = new();
    private readonly LinkedList<ResetEmailJob> _pending = new();
    private readonly Dictionary<object, OutboxLease> _processing = new(ReferenceEqualityComparer.Instance);
    private readonly PriorityQueue<ResetEmailJob, DateTimeOffset> _delayed = new();
    private readonly LinkedList<ResetEmailJob> _dead = new();
    private long _deadDropped;
    private readonly WorkSignal _signal = new();

    public OutboxStatistics Statistics => statistics;

    public Task EnqueueAsync(ResetEmailJob job, CancellationToken ct)
    {
        lock (_lock) _pending.AddLast(job);
        statistics.OnEnqueued();
        _signal.Set();
        return Task.CompletedTask;
    }

    public Task<OutboxLease?> TryClaimAsync(CancellationToken ct)
    {
        lock (_lock)
        {
            while (_pending.First is { } first)
            {
                _pending.RemoveFirst();
                // Only a job taken back after its visibility timeout gets here out of attempts: its
                // dispatcher died or hung on it every time, so sending it again would loop forever.
                if (first.Value.Attempts >= _options.MaxAttempts)
                {
                    AddDead(first.Value);
                    continue;
                }
                var lease = new OutboxLease(first.Value, new object(), time.GetUtcNow());
                _processing.Add(lease.Handle, lease);
                return Task.FromResult<OutboxLease?>(lease);
            }
            return Task.FromResult<OutboxLease?>(null);
        }
    }

    public Task CompleteAsync(OutboxLease lease, CancellationToken ct)
    {
        lock (_lock)
        {
            // Taken back after its visibility timeout but not claimed again: it was sent, so drop it.
            if (!_processing.Remove(lease.Handle)) RemovePending(lease.Job);
        }
        statistics.OnSent();
        return Task.CompletedTask;
    }

    public Task<FailureOutcome> FailAsync(OutboxLease lease, string error, bool permanent, CancellationToken ct)
    {
        var failed = lease.Job with { Attempts = lease.Job.Attempts + 1, LastError = error };
        lock (_lock)
        {
            if (!_processing.Remove(lease.Handle)) return Task.FromResult(FailureOutcome.LeaseLost);
            if (permanent || failed.Attempts >= _options.MaxAttempts)
            {
                AddDead(failed);
                return Task.FromResult(FailureOutcome.DeadLettered);
            }
            _delayed.Enqueue(failed, time.GetUtcNow() + _options.Backoff(failed.Attempts, Random.Shared.NextDouble()));
        }
        statistics.OnRetried();
        return Task.FromResult(FailureOutcome.Retried);
    }

    public Task ReleaseAsync(OutboxLease lease, CancellationToken ct)
    {
        lock (_lock)
        {
            if (_processing.Remove(lease.Handle)) _pending.AddFirst(lease.Job);
        }
        _signal.Set();
        return Task.CompletedTask;
    }

    public Task<int> MaintainAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var moved = 0;
        var recovered = 0;
        lock (_lock)
        {
            while (_delayed.TryPeek(out var job, out var due) && due <= now)
            {
                _delayed.Dequeue();
                _pending.AddLast(job);
                moved++;
            }
            foreach (var lease in _processing.Values.Where(l => now - l.ClaimedAt >= _options.VisibilityTimeout).ToList())
            {
                _processing.Remove(lease.Handle);
                _pending.AddFirst(lease.Job.AfterExpiredClaims(1));
                recovered++;
            }
        }
        if (recovered > 0) statistics.OnRecovered(recovered);
        if (moved + recovered > 0) _signal.Set();
        return Task.FromResult(moved + recovered);
    }

    public Task WaitForWorkAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, time, ct);

    public Task<OutboxCounts> GetCountsAsync(CancellationToken ct)
    {
        lock (_lock) return Task.FromResult(new OutboxCounts(_pending.Count, _processing.Count, _delayed.Count, _dead.Count, _deadDropped));
    }

    public Task<IReadOnlyList<ResetEmailJob>> GetDeadLettersAsync(int max, CancellationToken ct)
    {
        lock (_lock) return Task.FromResult<IReadOnlyList<ResetEmailJob>>(_dead.Take(Math.Max(0, max)).ToList());
    }

    public Task<int> ReplayDeadLettersAsync(IReadOnlySet<string>? ids, CancellationToken ct)
    {
        var replayed = 0;
        lock (_lock)
        {
            foreach (var job in TakeDead(ids))
            {
                _pending.AddLast(DeadLetters.Replayed(job));
                replayed++;
            }
        }
        if (replayed > 0) _signal.Set();
        return Task.FromResult(replayed);
    }

    public Task<int> PurgeDeadLettersAsync(IReadOnlySet<string>? ids, CancellationToken ct)
    {
        lock (_lock) return Task.FromResult(TakeDead(ids).Count);
    }

    /// <summary>Removes and returns the chosen dead letters, oldest first. Under the lock.</summary>
    private List<ResetEmailJob> TakeDead(IReadOnlySet<string>? ids)
    {
        var taken = new List<ResetEmailJob>();
        for (var node = _dead.Last; node is not null;)
        {
            var previous = node.Previous;
            if (ids is null || ids.Contains(node.Value.Id))
            {
                taken.Add(node.Value);
                _dead.Remove(node);
            }
            node = previous;
        }
        return taken;
    }

    /// <summary>Newest first, within <c>Outbox:MaxDeadLetters</c>; the oldest are dropped and counted. Under the lock.</summary>
    private void AddDead(ResetEmailJob job)
    {
        _dead.AddFirst(job);
        statistics.OnDeadLettered();
        while (_dead.Count > _options.MaxDeadLetters)
        {
            _dead.RemoveLast();
            _deadDropped++;
        }
    }

    private void RemovePending(ResetEmailJob job)
    {
        for (var node = _pending.First; node is not null; node = node.Next)
        {
            if (node.Value.Id == job.Id)
            {
                _pending.Remove(node);
                return;
            }
        }
    }
}
