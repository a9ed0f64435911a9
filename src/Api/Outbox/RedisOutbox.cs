using System.Text.Json;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using ThrottleCluster.Hosting.Storage;

namespace ThrottleCluster.Api.Outbox;

/// <summary>
/// The cluster-mode outbox: a reliable list queue in Garnet or Redis (Garnet has no Streams).
/// <list type="bullet">
/// <item><c>{prefix}:pending</c> (list): LPUSH to enqueue, oldest at the right.</item>
/// <item><c>{prefix}:processing</c> (list) and <c>{prefix}:claims</c> (hash item → claim time):
/// a claim is RPOPLPUSH from pending to processing plus the claim time, in one script, so a job is
/// never in neither list; completing is LREM from processing.</item>
/// <item><c>{prefix}:delayed</c> (sorted set, score = due time in Unix ms): failed jobs, with
/// their attempt count and last error, waiting for their backoff; moved back to pending when due.</item>
/// <item><c>{prefix}:dead</c> (list, newest at the left): jobs out of attempts, at most
/// <c>Outbox:MaxDeadLetters</c>; <c>{prefix}:dead-dropped</c> counts the oldest dropped to keep it so.</item>
/// <item><c>{prefix}:expired</c> (hash item → count): claims of the item that ran out their visibility timeout.</item>
/// </list>
/// A job claimed longer than <c>Outbox:VisibilityTimeout</c> ago (its dispatcher crashed between
/// claim and send, or hung) goes back to the head of pending: at least once. Each such claim counts
/// as an attempt when the job is next claimed, so a job that kills its dispatcher every time ends
/// in the dead letters instead of looping forever. Every multi-key step
/// is one Lua script, and every key has the same hash tag, so it works on a cluster too.
/// </summary>
public sealed class RedisOutbox : IOutbox, IOutboxMonitor
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // Returns the item and how many of its claims expired, or nil.
    private const string ClaimScript = """
        local item = redis.call('RPOPLPUSH', KEYS[1], KEYS[2])
        if not item then return false end
        redis.call('HSET', KEYS[3], item, ARGV[1])
        return {item, tonumber(redis.call('HGET', KEYS[4], item) or '0')}
        """;

    // Every claim records its own claim token ("<unix ms>.<random>"); a lease settles the job only
    // while the token is still its own. No claim at all means the job was taken back after its
    // visibility timeout and not claimed again: it was sent after all, so it leaves pending too.
    // ARGV: item, claim token
    private const string CompleteScript = """
        local claim = redis.call('HGET', KEYS[2], ARGV[1])
        if claim == ARGV[2] then
          redis.call('HDEL', KEYS[2], ARGV[1])
          redis.call('HDEL', KEYS[4], ARGV[1])
          return redis.call('LREM', KEYS[1], 1, ARGV[1])
        end
        if not claim then
          redis.call('HDEL', KEYS[4], ARGV[1])
          return -redis.call('LREM', KEYS[3], 1, ARGV[1])
        end
        return 0
        """;

    // The failed item carries the attempts of expired claims, so their count goes.
    // ARGV: item, claim token, failed item, due (ms), dead (1/0), max dead letters
    private const string FailScript = """
        if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
        redis.call('HDEL', KEYS[2], ARGV[1])
        redis.call('HDEL', KEYS[5], ARGV[1])
        local removed = redis.call('LREM', KEYS[1], 1, ARGV[1])
        if removed == 1 then
          if ARGV[5] == '1' then
            local over = redis.call('LPUSH', KEYS[4], ARGV[3]) - tonumber(ARGV[6])
            if over > 0 then
              redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[6]) - 1)
              redis.call('INCRBY', KEYS[6], over)
            end
          else
            redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3])
          end
        end
        return removed
        """;

    // ARGV: item, claim token
    private const string ReleaseScript = """
        if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
        redis.call('HDEL', KEYS[2], ARGV[1])
        local removed = redis.call('LREM', KEYS[1], 1, ARGV[1])
        if removed == 1 then redis.call('RPUSH', KEYS[3], ARGV[1]) end
        return removed
        """;

    // ARGV: now (ms), limit
    private const string PromoteScript = """
        local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
        for _, item in ipairs(due) do
          redis.call('ZREM', KEYS[1], item)
          redis.call('LPUSH', KEYS[2], item)
        end
        return #due
        """;

    // ARGV: now (ms), visibility timeout (ms), limit. Oldest claims are at the right of processing;
    // tonumber of a claim token gives its time (to well under a millisecond).
    private const string RecoverScript = """
        local now = tonumber(ARGV[1])
        local items = redis.call('LRANGE', KEYS[1], -tonumber(ARGV[3]), -1)
        local moved = 0
        for _, item in ipairs(items) do
          local at = redis.call('HGET', KEYS[2], item)
          if not at then
            redis.call('HSET', KEYS[2], item, ARGV[1])
          elseif tonumber(at) + tonumber(ARGV[2]) <= now then
            if redis.call('LREM', KEYS[1], 1, item) == 1 then
              redis.call('RPUSH', KEYS[3], item)
              redis.call('HINCRBY', KEYS[4], item, 1)
              moved = moved + 1
            end
            redis.call('HDEL', KEYS[2], item)
          end
        end
        return moved
        """;

    // ARGV: item, item to queue ('' to only delete)
    private const string TakeDeadScript = """
        if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
        if ARGV[2] ~= '' then redis.call('LPUSH', KEYS[2], ARGV[2]) end
        return 1
        """;

    private const int BatchLimit = 500;

    private readonly IDatabase _database;
    private readonly OutboxOptions _options;
    private readonly TimeProvider _time;
    private readonly OutboxStatistics _statistics;
    private readonly WorkSignal _signal = new();
    private readonly RedisKey _pending, _processing, _claims, _delayed, _dead, _deadDropped, _expired;
    private long _nextRecovery;

    public RedisOutbox(RedisEngine engine, IOptions<OutboxOptions> options, TimeProvider time, OutboxStatistics statistics)
    {
        _database = engine.Connection.GetDatabase();
        _options = options.Value;
        _time = time;
        _statistics = statistics;
        var tag = "{" + _options.KeyPrefix + "}";
        _pending = tag + ":pending";
        _processing = tag + ":processing";
        _claims = tag + ":claims";
        _delayed = tag + ":delayed";
        _dead = tag + ":dead";
        _deadDropped = tag + ":dead-dropped";
        _expired = tag + ":expired";
    }

    public OutboxStatistics Statistics => _statistics;

    public async Task EnqueueAsync(ResetEmailJob job, CancellationToken ct)
    {
        await Db.ListLeftPushAsync(_pending, Serialize(job)).WaitAsync(ct).ConfigureAwait(false);
        _statistics.OnEnqueued();
        _signal.Set();
    }

    public async Task<OutboxLease?> TryClaimAsync(CancellationToken ct)
    {
        while (true)
        {
            var now = _time.GetUtcNow();
            var claim = $"{now.ToUnixTimeMilliseconds()}.{Random.Shared.Next(1_000_000):D6}";
            var result = await Eval(ClaimScript, [_pending, _processing, _claims, _expired], [claim], ct).ConfigureAwait(false);
            if (result.IsNull) return null;
            var parts = (RedisResult[])result!;
            var raw = (byte[])parts[0]!;
            var job = Deserialize(raw)?.AfterExpiredClaims((int)parts[1]);
            if (job is not null && job.Attempts < _options.MaxAttempts) return new OutboxLease(job, new Claim(raw, claim), now);
            // Not ours or corrupt, or out of attempts through expired claims alone: keep it for
            // operators instead of sending it again.
            var dead = job is null ? raw : Serialize(job);
            await Eval(FailScript, FailKeys, [raw, claim, dead, 0, 1, _options.MaxDeadLetters], ct).ConfigureAwait(false);
            _statistics.OnDeadLettered();
        }
    }

    public async Task CompleteAsync(OutboxLease lease, CancellationToken ct)
    {
        var claim = (Claim)lease.Handle;
        await Eval(CompleteScript, [_processing, _claims, _pending, _expired], [claim.Item, claim.Token], ct).ConfigureAwait(false);
        _statistics.OnSent();
    }

    public async Task<FailureOutcome> FailAsync(OutboxLease lease, string error, bool permanent, CancellationToken ct)
    {
        var failed = lease.Job with { Attempts = lease.Job.Attempts + 1, LastError = Truncate(error) };
        var dead = permanent || failed.Attempts >= _options.MaxAttempts;
        var due = _time.GetUtcNow() + _options.Backoff(failed.Attempts, Random.Shared.NextDouble());
        var claim = (Claim)lease.Handle;
        var removed = (long)await Eval(FailScript, FailKeys,
            [claim.Item, claim.Token, Serialize(failed), due.ToUnixTimeMilliseconds(), dead ? 1 : 0, _options.MaxDeadLetters], ct).ConfigureAwait(false);
        if (removed != 1) return FailureOutcome.LeaseLost;
        if (dead)
        {
            _statistics.OnDeadLettered();
            return FailureOutcome.DeadLettered;
        }
        _statistics.OnRetried();
        return FailureOutcome.Retried;
    }

    public async Task ReleaseAsync(OutboxLease lease, CancellationToken ct)
    {
        var claim = (Claim)lease.Handle;
        await Eval(ReleaseScript, [_processing, _claims, _pending], [claim.Item, claim.Token], ct).ConfigureAwait(false);
        _signal.Set();
    }

    public async Task<int> MaintainAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var moved = (int)(long)await Eval(PromoteScript, [_delayed, _pending], [now.ToUnixTimeMilliseconds(), BatchLimit], ct).ConfigureAwait(false);
        // Taking back expired claims scans processing: a few times per visibility timeout is enough.
        if (now.ToUnixTimeMilliseconds() >= Interlocked.Read(ref _nextRecovery))
        {
            Interlocked.Exchange(ref _nextRecovery, (now + _options.VisibilityTimeout / 4).ToUnixTimeMilliseconds());
            var recovered = (int)(long)await Eval(RecoverScript, [_processing, _claims, _pending, _expired],
                [now.ToUnixTimeMilliseconds(), (long)_options.VisibilityTimeout.TotalMilliseconds, BatchLimit], ct).ConfigureAwait(false);
            if (recovered > 0) _statistics.OnRecovered(recovered);
            moved += recovered;
        }
        return moved;
    }

    /// <summary>Runs the visibility-timeout recovery now, whatever the schedule (tests, admin).</summary>
    public async Task<int> RecoverExpiredClaimsAsync(CancellationToken ct)
    {
        Interlocked.Exchange(ref _nextRecovery, 0);
        return await MaintainAsync(ct).ConfigureAwait(false);
    }

    public Task WaitForWorkAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, _time, ct);

    public async Task<OutboxCounts> GetCountsAsync(CancellationToken ct)
    {
        var pending = Db.ListLengthAsync(_pending);
        var processing = Db.ListLengthAsync(_processing);
        var delayed = Db.SortedSetLengthAsync(_delayed);
        var dead = Db.ListLengthAsync(_dead);
        var dropped = Db.StringGetAsync(_deadDropped);
        await Task.WhenAll(pending, processing, delayed, dead, dropped).WaitAsync(ct).ConfigureAwait(false);
        return new OutboxCounts(pending.Result, processing.Result, delayed.Result, dead.Result, dropped.Result.IsNull ? 0 : (long)dropped.Result);
    }

    public async Task<IReadOnlyList<ResetEmailJob>> GetDeadLettersAsync(int max, CancellationToken ct)
    {
        if (max <= 0) return [];
        var items = await Db.ListRangeAsync(_dead, 0, max - 1).WaitAsync(ct).ConfigureAwait(false);
        var jobs = new List<ResetEmailJob>(items.Length);
        foreach (var item in items)
            jobs.Add(Deserialize((byte[])item!) ?? DeadLetters.Unreadable);
        return jobs;
    }

    public async Task<int> ReplayDeadLettersAsync(IReadOnlySet<string>? ids, CancellationToken ct)
    {
        var replayed = await TakeDeadAsync(ids, job => Serialize(DeadLetters.Replayed(job)), ct).ConfigureAwait(false);
        if (replayed > 0) _signal.Set();
        return replayed;
    }

    public Task<int> PurgeDeadLettersAsync(IReadOnlySet<string>? ids, CancellationToken ct) => TakeDeadAsync(ids, _ => [], ct);

    /// <summary>
    /// Each chosen dead letter leaves the dead list and, when <paramref name="requeue"/> gives bytes,
    /// enters pending, in one script per item: two operators replaying at once queue it once.
    /// </summary>
    private async Task<int> TakeDeadAsync(IReadOnlySet<string>? ids, Func<ResetEmailJob, byte[]> requeue, CancellationToken ct)
    {
        var items = await Db.ListRangeAsync(_dead, 0, -1).WaitAsync(ct).ConfigureAwait(false);
        var taken = 0;
        foreach (var item in items)
        {
            var job = Deserialize((byte[])item!);
            if (ids is not null && (job is null || !ids.Contains(job.Id))) continue;
            var next = job is null ? [] : requeue(job);
            taken += (int)(long)await Eval(TakeDeadScript, [_dead, _pending], [item, next], ct).ConfigureAwait(false);
        }
        return taken;
    }

    private IDatabase Db => _database;

    private RedisKey[] FailKeys => [_processing, _claims, _delayed, _dead, _expired, _deadDropped];

    private Task<RedisResult> Eval(string script, RedisKey[] keys, RedisValue[] values, CancellationToken ct)
        => Db.ScriptEvaluateAsync(script, keys, values).WaitAsync(ct);

    /// <summary>A lease's handle: the stored item and the token of this claim.</summary>
    private sealed record Claim(byte[] Item, string Token);

    private static byte[] Serialize(ResetEmailJob job) => JsonSerializer.SerializeToUtf8Bytes(job, Json);

    private static ResetEmailJob? Deserialize(byte[] item)
    {
        try
        {
            return JsonSerializer.Deserialize<ResetEmailJob>(item, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Truncate(string error) => error.Length <= 500 ? error : error[..500];
}
