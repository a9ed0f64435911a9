using System.Text.Json;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Options;

namespace ThrottleCluster.Api.Outbox;

/// <summary>
/// The outbox when the cluster runs on Azure Storage: four Azure Storage queues,
/// <c>{Outbox:QueueName}-pending</c>, <c>-processing</c>, <c>-delayed</c> and <c>-dead</c>, one per
/// state, so each state's size is its queue's message count.
/// <list type="bullet">
/// <item>A claim receives the oldest pending message and sends it to processing, invisible for
/// <c>Outbox:VisibilityTimeout</c>, then deletes it from pending. A crash between the two steps
/// brings the pending copy back after the visibility timeout: a duplicate, never a loss.</item>
/// <item>A processing message that becomes visible again was claimed by a dispatcher that died or
/// hung: the next claim takes it before any pending one, counting the expired claim as an attempt.</item>
/// <item>A failure sends the job, one attempt more, to delayed, invisible for its backoff (or to
/// dead), then deletes the processing copy; the maintenance loop moves delayed messages that have
/// become visible to pending.</item>
/// <item>Leases are the pop receipts of the processing messages: a lease whose message was claimed
/// again no longer settles it.</item>
/// </list>
/// The service's clock, not this process's, times visibility and backoff. Message counts are
/// Azure's approximate ones; listing dead letters sees the 32 oldest at most (a queue can only be
/// peeked at from its head); the count of dead letters dropped to keep the cap is kept in the dead
/// queue's metadata, read and written without a lock, so it is approximate with several Api instances.
/// </summary>
public sealed class AzureQueueOutbox : IOutbox, IOutboxMonitor
{
    private const int PeekLimit = 32;
    private const int BatchLimit = 500;
    private const string DroppedKey = "deaddropped";
    private static readonly TimeSpan Forever = TimeSpan.FromSeconds(-1);
    private static readonly TimeSpan MoveVisibility = TimeSpan.FromSeconds(30);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly QueueClient _pending, _processing, _delayed, _dead;
    private readonly OutboxOptions _options;
    private readonly TimeProvider _time;
    private readonly OutboxStatistics _statistics;
    private readonly WorkSignal _signal = new();
    private Task? _created;

    public AzureQueueOutbox(QueueServiceClient service, IOptions<OutboxOptions> options, TimeProvider time, OutboxStatistics statistics)
    {
        _options = options.Value;
        _time = time;
        _statistics = statistics;
        _pending = service.GetQueueClient(_options.QueueName + "-pending");
        _processing = service.GetQueueClient(_options.QueueName + "-processing");
        _delayed = service.GetQueueClient(_options.QueueName + "-delayed");
        _dead = service.GetQueueClient(_options.QueueName + "-dead");
    }

    public OutboxStatistics Statistics => _statistics;

    /// <summary>What a queue message holds: the job, and whether its last claim was released (shutdown) rather than lost.</summary>
    private sealed record Item(ResetEmailJob Job, bool Released = false);

    /// <summary>A lease's handle: the processing message and the pop receipt of this claim.</summary>
    private sealed record Claim(string MessageId, string PopReceipt);

    public async Task EnqueueAsync(ResetEmailJob job, CancellationToken ct)
    {
        await Ready().ConfigureAwait(false);
        await _pending.SendMessageAsync(Serialize(new Item(job)), null, Forever, ct).ConfigureAwait(false);
        _statistics.OnEnqueued();
        _signal.Set();
    }

    public async Task<OutboxLease?> TryClaimAsync(CancellationToken ct)
    {
        await Ready().ConfigureAwait(false);
        while (true)
        {
            var again = (await _processing.ReceiveMessageAsync(_options.VisibilityTimeout, ct).ConfigureAwait(false)).Value;
            if (again is not null)
            {
                var item = Deserialize(again.Body);
                if (item is null || item.Job.Attempts + (item.Released ? 0 : 1) >= _options.MaxAttempts)
                {
                    await MoveAsync(again, _processing, _dead, item is null ? again.Body : Serialize(new Item(item.Job.AfterExpiredClaims(item.Released ? 0 : 1))), ct).ConfigureAwait(false);
                    _statistics.OnDeadLettered();
                    continue;
                }
                if (!item.Released) _statistics.OnRecovered(1);
                var job = item.Job.AfterExpiredClaims(item.Released ? 0 : 1);
                var renewed = await _processing.UpdateMessageAsync(again.MessageId, again.PopReceipt, Serialize(new Item(job)), _options.VisibilityTimeout, ct).ConfigureAwait(false);
                return new OutboxLease(job, new Claim(again.MessageId, renewed.Value.PopReceipt), _time.GetUtcNow());
            }

            var next = (await _pending.ReceiveMessageAsync(_options.VisibilityTimeout, ct).ConfigureAwait(false)).Value;
            if (next is null) return null;
            if (Deserialize(next.Body) is not { } fresh)
            {
                await MoveAsync(next, _pending, _dead, next.Body, ct).ConfigureAwait(false);
                _statistics.OnDeadLettered();
                continue;
            }
            var sent = await _processing.SendMessageAsync(Serialize(fresh), _options.VisibilityTimeout, Forever, ct).ConfigureAwait(false);
            await DeleteAsync(_pending, next.MessageId, next.PopReceipt, ct).ConfigureAwait(false);
            return new OutboxLease(fresh.Job, new Claim(sent.Value.MessageId, sent.Value.PopReceipt), _time.GetUtcNow());
        }
    }

    public async Task CompleteAsync(OutboxLease lease, CancellationToken ct)
    {
        var claim = (Claim)lease.Handle;
        // Not found: claimed again after its visibility timeout; that claim settles it.
        await DeleteAsync(_processing, claim.MessageId, claim.PopReceipt, ct).ConfigureAwait(false);
        _statistics.OnSent();
    }

    public async Task<FailureOutcome> FailAsync(OutboxLease lease, string error, bool permanent, CancellationToken ct)
    {
        var failed = lease.Job with { Attempts = lease.Job.Attempts + 1, LastError = error.Length <= 500 ? error : error[..500] };
        var dead = permanent || failed.Attempts >= _options.MaxAttempts;
        var target = dead ? _dead : _delayed;
        TimeSpan? visibility = dead ? null : _options.Backoff(failed.Attempts, Random.Shared.NextDouble());
        var copy = await target.SendMessageAsync(Serialize(new Item(failed)), visibility, Forever, ct).ConfigureAwait(false);
        var claim = (Claim)lease.Handle;
        if (!await DeleteAsync(_processing, claim.MessageId, claim.PopReceipt, ct).ConfigureAwait(false))
        {
            await DeleteAsync(target, copy.Value.MessageId, copy.Value.PopReceipt, ct).ConfigureAwait(false);
            return FailureOutcome.LeaseLost;
        }
        if (dead)
        {
            _statistics.OnDeadLettered();
            await TrimDeadAsync(ct).ConfigureAwait(false);
            return FailureOutcome.DeadLettered;
        }
        _statistics.OnRetried();
        return FailureOutcome.Retried;
    }

    public async Task ReleaseAsync(OutboxLease lease, CancellationToken ct)
    {
        var claim = (Claim)lease.Handle;
        try
        {
            await _processing.UpdateMessageAsync(claim.MessageId, claim.PopReceipt, Serialize(new Item(lease.Job, Released: true)), TimeSpan.Zero, ct).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (IsGoneOrReclaimed(ex))
        {
        }
        _signal.Set();
    }

    public async Task<int> MaintainAsync(CancellationToken ct)
    {
        await Ready().ConfigureAwait(false);
        var moved = 0;
        while (moved < BatchLimit)
        {
            var due = (await _delayed.ReceiveMessagesAsync(PeekLimit, MoveVisibility, ct).ConfigureAwait(false)).Value;
            foreach (var message in due) await MoveAsync(message, _delayed, _pending, message.Body, ct).ConfigureAwait(false);
            moved += due.Length;
            if (due.Length < PeekLimit) break;
        }
        // Expired claims stay where they are until the next claim takes them; they are counted here.
        var visible = (await _processing.PeekMessagesAsync(PeekLimit, ct).ConfigureAwait(false)).Value;
        if (moved + visible.Length > 0) _signal.Set();
        return moved + visible.Length;
    }

    public Task WaitForWorkAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, _time, ct);

    public async Task<OutboxCounts> GetCountsAsync(CancellationToken ct)
    {
        await Ready().ConfigureAwait(false);
        var properties = await Task.WhenAll(new[] { _pending, _processing, _delayed, _dead }.Select(q => q.GetPropertiesAsync(ct))).ConfigureAwait(false);
        var dropped = properties[3].Value.Metadata.TryGetValue(DroppedKey, out var text) && long.TryParse(text, out var n) ? n : 0;
        return new OutboxCounts(properties[0].Value.ApproximateMessagesCountLong, properties[1].Value.ApproximateMessagesCountLong,
            properties[2].Value.ApproximateMessagesCountLong, properties[3].Value.ApproximateMessagesCountLong, dropped);
    }

    public async Task<IReadOnlyList<ResetEmailJob>> GetDeadLettersAsync(int max, CancellationToken ct)
    {
        if (max <= 0) return [];
        await Ready().ConfigureAwait(false);
        var oldest = (await _dead.PeekMessagesAsync(PeekLimit, ct).ConfigureAwait(false)).Value;
        return oldest.Reverse().Take(max).Select(m => Deserialize(m.Body)?.Job ?? DeadLetters.Unreadable).ToList();
    }

    public async Task<int> ReplayDeadLettersAsync(IReadOnlySet<string>? ids, CancellationToken ct)
        => await DrainDeadAsync(ids, async (message, job) =>
        {
            await _pending.SendMessageAsync(Serialize(new Item(DeadLetters.Replayed(job))), null, Forever, ct).ConfigureAwait(false);
            _signal.Set();
        }, ct).ConfigureAwait(false);

    public async Task<int> PurgeDeadLettersAsync(IReadOnlySet<string>? ids, CancellationToken ct)
        => await DrainDeadAsync(ids, (_, _) => Task.CompletedTask, ct).ConfigureAwait(false);

    /// <summary>Takes every dead letter chosen by <paramref name="ids"/> (all when null) through <paramref name="take"/>, then deletes it; the others are left visible.</summary>
    private async Task<int> DrainDeadAsync(IReadOnlySet<string>? ids, Func<QueueMessage, ResetEmailJob, Task> take, CancellationToken ct)
    {
        await Ready().ConfigureAwait(false);
        var taken = 0;
        var passed = new List<QueueMessage>();
        try
        {
            while (true)
            {
                var batch = (await _dead.ReceiveMessagesAsync(PeekLimit, MoveVisibility, ct).ConfigureAwait(false)).Value;
                if (batch.Length == 0) return taken;
                foreach (var message in batch)
                {
                    var job = Deserialize(message.Body)?.Job;
                    if (ids is not null && (job is null || !ids.Contains(job.Id)))
                    {
                        passed.Add(message);
                        continue;
                    }
                    if (job is not null) await take(message, job).ConfigureAwait(false);
                    await DeleteAsync(_dead, message.MessageId, message.PopReceipt, ct).ConfigureAwait(false);
                    taken++;
                }
            }
        }
        finally
        {
            foreach (var message in passed)
                await _dead.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Drops the oldest dead letters beyond <c>Outbox:MaxDeadLetters</c>, counting them.</summary>
    private async Task TrimDeadAsync(CancellationToken ct)
    {
        var properties = (await _dead.GetPropertiesAsync(ct).ConfigureAwait(false)).Value;
        var over = properties.ApproximateMessagesCountLong - _options.MaxDeadLetters;
        if (over <= 0) return;
        var dropped = 0;
        while (dropped < over)
        {
            var oldest = (await _dead.ReceiveMessagesAsync((int)Math.Min(PeekLimit, over - dropped), MoveVisibility, ct).ConfigureAwait(false)).Value;
            if (oldest.Length == 0) break;
            foreach (var message in oldest)
            {
                if (await DeleteAsync(_dead, message.MessageId, message.PopReceipt, ct).ConfigureAwait(false)) dropped++;
            }
        }
        var before = properties.Metadata.TryGetValue(DroppedKey, out var text) && long.TryParse(text, out var n) ? n : 0;
        await _dead.SetMetadataAsync(new Dictionary<string, string> { [DroppedKey] = (before + dropped).ToString(System.Globalization.CultureInfo.InvariantCulture) }, ct).ConfigureAwait(false);
    }

    /// <summary>Sends <paramref name="body"/> to <paramref name="to"/>, then deletes the message from <paramref name="from"/>: a crash between them duplicates, never loses.</summary>
    private async Task MoveAsync(QueueMessage message, QueueClient from, QueueClient to, BinaryData body, CancellationToken ct)
    {
        await to.SendMessageAsync(body, null, Forever, ct).ConfigureAwait(false);
        await DeleteAsync(from, message.MessageId, message.PopReceipt, ct).ConfigureAwait(false);
    }

    /// <returns>False when the message is gone or was received again since (its pop receipt changed).</returns>
    private static async Task<bool> DeleteAsync(QueueClient queue, string messageId, string popReceipt, CancellationToken ct)
    {
        try
        {
            await queue.DeleteMessageAsync(messageId, popReceipt, ct).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (IsGoneOrReclaimed(ex))
        {
            return false;
        }
    }

    /// <summary>Creates the queues once; tried again after a failure (the service unreachable at start).</summary>
    /// <summary>The message was deleted (404), or received again since this pop receipt (400 PopReceiptMismatch).</summary>
    private static bool IsGoneOrReclaimed(RequestFailedException ex) => ex.Status == 404 || ex.ErrorCode == "PopReceiptMismatch";

    private Task Ready()
    {
        var created = Volatile.Read(ref _created);
        if (created is null || created.IsFaulted || created.IsCanceled)
        {
            created = Task.WhenAll(new[] { _pending, _processing, _delayed, _dead }.Select(q => q.CreateIfNotExistsAsync()));
            Volatile.Write(ref _created, created);
        }
        return created;
    }

    private static BinaryData Serialize(Item item) => BinaryData.FromObjectAsJson(item, Json);

    private static Item? Deserialize(BinaryData body)
    {
        try
        {
            return body.ToObjectFromJson<Item>(Json) is { Job: not null } item ? item : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
