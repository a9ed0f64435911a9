using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using ThrottleCluster.Api.Outbox;
using ThrottleCluster.Api.Tests.Support;
using ThrottleCluster.Hosting.Storage;

namespace ThrottleCluster.Api.Tests;

/// <summary>
/// One contract for every outbox, the parts that need no clock: FIFO claims, dead letters (capped,
/// listed, replayed, purged), release on shutdown. Run on memory, Garnet, Redis and Azurite.
/// </summary>
public abstract class OutboxContractTests
{
    protected static readonly OutboxOptions Options = new()
    {
        MaxAttempts = 3,
        RetryDelay = TimeSpan.FromSeconds(10),
        MaxRetryDelay = TimeSpan.FromSeconds(40),
        VisibilityTimeout = TimeSpan.FromMinutes(2),
        MaxDeadLetters = 2,
    };

    protected readonly FakeTimeProvider Time = new(new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero));
    protected readonly OutboxStatistics Statistics = new();

    /// <summary>A fresh, empty outbox; several calls in one test share the same queue.</summary>
    protected abstract IOutbox Create();

    private IOutbox? _outbox;
    protected IOutbox Outbox => _outbox ??= Create();
    protected IOutboxMonitor Monitor => (IOutboxMonitor)Outbox;

    protected static ResetEmailJob Job(int n) => new($"job-{n}", $"acct-{n}", $"user{n}@example.com", DateTimeOffset.UnixEpoch.AddSeconds(n));

    [Fact]
    public async Task Jobs_are_claimed_oldest_first_and_completed()
    {
        for (var i = 1; i <= 3; i++) await Outbox.EnqueueAsync(Job(i), default);
        Assert.Equal(new OutboxCounts(3, 0, 0, 0), await Monitor.GetCountsAsync(default));
        var first = await Outbox.TryClaimAsync(default);
        var second = await Outbox.TryClaimAsync(default);
        Assert.Equal(Job(1), first!.Job);
        Assert.Equal(Job(2), second!.Job);
        Assert.Equal(new OutboxCounts(1, 2, 0, 0), await Monitor.GetCountsAsync(default));
        await Outbox.CompleteAsync(first, default);
        await Outbox.CompleteAsync(second, default);
        Assert.Equal(Job(3), (await Outbox.TryClaimAsync(default))!.Job);
        Assert.Null(await Outbox.TryClaimAsync(default));
        Assert.Equal(new OutboxCounts(0, 1, 0, 0), await Monitor.GetCountsAsync(default));
        Assert.Equal(3, Statistics.Enqueued);
        Assert.Equal(2, Statistics.Sent);
    }

    [Fact]
    public async Task A_permanent_failure_is_dead_lettered_at_once()
    {
        await Outbox.EnqueueAsync(Job(1), default);
        var lease = await Outbox.TryClaimAsync(default);
        Assert.Equal(FailureOutcome.DeadLettered, await Outbox.FailAsync(lease!, "bad address", true, default));
        Assert.Equal(new OutboxCounts(0, 0, 0, 1), await Monitor.GetCountsAsync(default));
    }

    [Fact]
    public async Task The_dead_list_keeps_the_newest_within_its_cap_and_counts_what_it_drops()
    {
        for (var i = 1; i <= 5; i++)
        {
            await Outbox.EnqueueAsync(Job(i), default);
            Assert.Equal(FailureOutcome.DeadLettered, await Outbox.FailAsync((await Outbox.TryClaimAsync(default))!, $"refused {i}", true, default));
        }
        Assert.Equal(new OutboxCounts(0, 0, 0, Options.MaxDeadLetters, 5 - Options.MaxDeadLetters), await Monitor.GetCountsAsync(default));
        Assert.Equal(["job-5", "job-4"], (await Monitor.GetDeadLettersAsync(10, default)).Select(j => j.Id));
        Assert.Equal(5, Statistics.DeadLettered);
    }

    [Fact]
    public async Task A_released_job_goes_back_to_the_head_without_spending_an_attempt()
    {
        await Outbox.EnqueueAsync(Job(1), default);
        await Outbox.EnqueueAsync(Job(2), default);
        var lease = await Outbox.TryClaimAsync(default);
        await Outbox.ReleaseAsync(lease!, default);
        Assert.Equal(Job(1), (await Outbox.TryClaimAsync(default))!.Job);
    }

    [Fact]
    public async Task Dead_letters_replayed_by_id_are_queued_again_with_their_attempts_reset()
    {
        for (var i = 1; i <= 2; i++)
        {
            await Outbox.EnqueueAsync(Job(i), default);
            await Outbox.FailAsync((await Outbox.TryClaimAsync(default))!, $"refused {i}", true, default);
        }
        Assert.Equal(1, await Monitor.ReplayDeadLettersAsync(new HashSet<string> { "job-1", "job-404" }, default));
        Assert.Equal(new OutboxCounts(1, 0, 0, 1), await Monitor.GetCountsAsync(default));
        var replayed = await Outbox.TryClaimAsync(default);
        Assert.Equal("job-1", replayed!.Job.Id);
        Assert.Equal(0, replayed.Job.Attempts);
        Assert.Contains("refused 1", replayed.Job.LastError);
        Assert.Equal(["job-2"], (await Monitor.GetDeadLettersAsync(10, default)).Select(j => j.Id));
        Assert.Equal(0, await Monitor.ReplayDeadLettersAsync(new HashSet<string> { "job-1" }, default)); // not dead twice
    }

    [Fact]
    public async Task Dead_letters_are_purged_by_id_or_all_at_once()
    {
        for (var i = 1; i <= 2; i++)
        {
            await Outbox.EnqueueAsync(Job(i), default);
            await Outbox.FailAsync((await Outbox.TryClaimAsync(default))!, "refused", true, default);
        }
        await Outbox.EnqueueAsync(Job(3), default);
        Assert.Equal(1, await Monitor.PurgeDeadLettersAsync(new HashSet<string> { "job-2" }, default));
        Assert.Equal(["job-1"], (await Monitor.GetDeadLettersAsync(10, default)).Select(j => j.Id));
        Assert.Equal(1, await Monitor.PurgeDeadLettersAsync(null, default));
        Assert.Equal(new OutboxCounts(1, 0, 0, 0), await Monitor.GetCountsAsync(default)); // pending untouched
        Assert.Equal(0, await Monitor.ReplayDeadLettersAsync(null, default));
    }
}

/// <summary>
/// The parts of the contract timed by the process's <see cref="TimeProvider"/> (a fake one here):
/// retries with backoff, dead letters after N attempts, recovery of jobs claimed too long ago,
/// exactly-once settling under concurrent workers. Memory and Redis lists; Azure Storage times
/// visibility on the service's clock (<see cref="AzureQueueOutboxTests"/>).
/// </summary>
public abstract class ClockedOutboxContractTests : OutboxContractTests
{
    private static Task<int> Recover(IOutbox outbox)
        => outbox is RedisOutbox redis ? redis.RecoverExpiredClaimsAsync(default) : outbox.MaintainAsync(default);

    [Fact]
    public async Task A_failed_job_waits_for_its_backoff_then_comes_back_with_its_attempt_count()
    {
        await Outbox.EnqueueAsync(Job(1), default);
        var lease = await Outbox.TryClaimAsync(default);
        Assert.Equal(FailureOutcome.Retried, await Outbox.FailAsync(lease!, "SmtpException: 451 try later", false, default));
        Assert.Equal(new OutboxCounts(0, 0, 1, 0), await Monitor.GetCountsAsync(default));

        Time.Advance(TimeSpan.FromSeconds(7)); // under the smallest jittered backoff (8 s)
        await Outbox.MaintainAsync(default);
        Assert.Null(await Outbox.TryClaimAsync(default));

        Time.Advance(TimeSpan.FromSeconds(6)); // past the largest (12 s)
        Assert.Equal(1, await Outbox.MaintainAsync(default));
        var retry = await Outbox.TryClaimAsync(default);
        Assert.Equal(1, retry!.Job.Attempts);
        Assert.Equal("SmtpException: 451 try later", retry.Job.LastError);
        Assert.Equal(Job(1).Id, retry.Job.Id);

        // The second backoff doubles: 16-24 s.
        Assert.Equal(FailureOutcome.Retried, await Outbox.FailAsync(retry, "again", false, default));
        Time.Advance(TimeSpan.FromSeconds(15));
        await Outbox.MaintainAsync(default);
        Assert.Null(await Outbox.TryClaimAsync(default));
        Time.Advance(TimeSpan.FromSeconds(10));
        await Outbox.MaintainAsync(default);
        Assert.Equal(2, (await Outbox.TryClaimAsync(default))!.Job.Attempts);
    }

    [Fact]
    public async Task A_job_is_dead_lettered_after_the_last_attempt()
    {
        await Outbox.EnqueueAsync(Job(1), default);
        for (var attempt = 1; attempt <= Options.MaxAttempts; attempt++)
        {
            var lease = await Outbox.TryClaimAsync(default);
            Assert.Equal(attempt - 1, lease!.Job.Attempts);
            var outcome = await Outbox.FailAsync(lease, $"failure {attempt}", false, default);
            Assert.Equal(attempt < Options.MaxAttempts ? FailureOutcome.Retried : FailureOutcome.DeadLettered, outcome);
            Time.Advance(Options.MaxRetryDelay * 2);
            await Outbox.MaintainAsync(default);
        }
        Assert.Null(await Outbox.TryClaimAsync(default));
        Assert.Equal(new OutboxCounts(0, 0, 0, 1), await Monitor.GetCountsAsync(default));
        var dead = Assert.Single(await Monitor.GetDeadLettersAsync(10, default));
        Assert.Equal(Options.MaxAttempts, dead.Attempts);
        Assert.Equal("failure 3", dead.LastError);
        Assert.Equal(1, Statistics.DeadLettered);
        Assert.Equal(2, Statistics.Retried);
    }

    [Fact]
    public async Task A_job_claimed_by_a_dispatcher_that_died_comes_back_after_the_visibility_timeout()
    {
        await Outbox.EnqueueAsync(Job(1), default);
        await Outbox.EnqueueAsync(Job(2), default);
        var lost = await Outbox.TryClaimAsync(default); // the dispatcher crashes here, before sending

        Time.Advance(Options.VisibilityTimeout - TimeSpan.FromSeconds(1));
        Assert.Equal(0, await Recover(Outbox));
        Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, await Recover(Outbox));
        Assert.Equal(1, Statistics.Recovered);

        // Back at the head of the queue, before job 2, the expired claim counted as an attempt.
        var again = await Outbox.TryClaimAsync(default);
        Assert.Equal(Job(1).Id, again!.Job.Id);
        Assert.Equal(1, again.Job.Attempts);
        Assert.Contains("Outbox:VisibilityTimeout", again.Job.LastError);
        // The stale lease can no longer settle the job.
        Assert.Equal(FailureOutcome.LeaseLost, await Outbox.FailAsync(lost!, "late", false, default));
        await Outbox.CompleteAsync(again, default);
        Assert.Equal(Job(2), (await Outbox.TryClaimAsync(default))!.Job);
    }

    [Fact]
    public async Task A_job_whose_dispatcher_dies_on_it_every_time_is_dead_lettered_after_the_last_attempt()
    {
        await Outbox.EnqueueAsync(Job(1), default);
        await Outbox.EnqueueAsync(Job(2), default);
        for (var claim = 1; claim <= Options.MaxAttempts; claim++)
        {
            var lease = await Outbox.TryClaimAsync(default); // the dispatcher dies here, every time
            Assert.Equal(Job(1).Id, lease!.Job.Id);
            Assert.Equal(claim - 1, lease.Job.Attempts);
            Time.Advance(Options.VisibilityTimeout + TimeSpan.FromSeconds(1));
            Assert.Equal(1, await Recover(Outbox));
        }

        // Out of attempts: the claim skips it to the dead letters and hands out the next job.
        Assert.Equal(Job(2), (await Outbox.TryClaimAsync(default))!.Job);
        Assert.Null(await Outbox.TryClaimAsync(default));
        Assert.Equal(new OutboxCounts(0, 1, 0, 1), await Monitor.GetCountsAsync(default));
        var dead = Assert.Single(await Monitor.GetDeadLettersAsync(10, default));
        Assert.Equal(Job(1).Id, dead.Id);
        Assert.Equal(Options.MaxAttempts, dead.Attempts);
        Assert.Contains("Outbox:VisibilityTimeout", dead.LastError);
        Assert.Equal(1, Statistics.DeadLettered);
    }

    [Fact]
    public async Task An_expired_claim_then_a_failed_send_both_count_and_the_failure_keeps_the_total()
    {
        await Outbox.EnqueueAsync(Job(1), default);
        await Outbox.TryClaimAsync(default);
        Time.Advance(Options.VisibilityTimeout + TimeSpan.FromSeconds(1));
        await Recover(Outbox);
        var second = await Outbox.TryClaimAsync(default);
        Assert.Equal(FailureOutcome.Retried, await Outbox.FailAsync(second!, "451 try later", false, default));
        Time.Advance(Options.MaxRetryDelay * 2);
        await Outbox.MaintainAsync(default);
        var third = await Outbox.TryClaimAsync(default);
        Assert.Equal(2, third!.Job.Attempts);
        Assert.Equal(FailureOutcome.DeadLettered, await Outbox.FailAsync(third, "451 again", false, default));
        Assert.Equal(Options.MaxAttempts, Assert.Single(await Monitor.GetDeadLettersAsync(10, default)).Attempts);
    }

    [Fact]
    public async Task A_slow_send_that_finishes_after_recovery_is_not_sent_twice()
    {
        await Outbox.EnqueueAsync(Job(1), default);
        var slow = await Outbox.TryClaimAsync(default);
        Time.Advance(Options.VisibilityTimeout + TimeSpan.FromSeconds(1));
        Assert.Equal(1, await Recover(Outbox));
        await Outbox.CompleteAsync(slow!, default); // it did go out after all
        Assert.Null(await Outbox.TryClaimAsync(default));
        Assert.Equal(new OutboxCounts(0, 0, 0, 0), await Monitor.GetCountsAsync(default));
    }

    [Fact]
    public async Task Concurrent_workers_settle_every_job_exactly_once()
    {
        const int jobs = 300;
        for (var i = 0; i < jobs; i++) await Outbox.EnqueueAsync(Job(i), default);
        var sent = new ConcurrentDictionary<string, int>();
        var failedOnce = new ConcurrentDictionary<string, bool>();
        async Task Worker()
        {
            while (await Outbox.TryClaimAsync(default) is { } lease)
            {
                // Every third job fails once first.
                if (int.Parse(lease.Job.Id[4..]) % 3 == 0 && failedOnce.TryAdd(lease.Job.Id, true))
                {
                    await Outbox.FailAsync(lease, "first try fails", false, default);
                    continue;
                }
                sent.AddOrUpdate(lease.Job.Id, 1, (_, n) => n + 1);
                await Outbox.CompleteAsync(lease, default);
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(Worker)));
        Time.Advance(Options.MaxRetryDelay * 2);
        await Outbox.MaintainAsync(default);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(Worker)));
        Assert.Equal(jobs, sent.Count);
        Assert.All(sent.Values, n => Assert.Equal(1, n));
        Assert.Equal(new OutboxCounts(0, 0, 0, 0), await Monitor.GetCountsAsync(default));
    }
}

public sealed class MemoryOutboxTests : ClockedOutboxContractTests
{
    protected override IOutbox Create() => new MemoryOutbox(Microsoft.Extensions.Options.Options.Create(Options), Time, Statistics);
}

/// <summary>The contract on a real engine, through the process's kind of connection to it (<see cref="RedisEngine"/>).</summary>
public abstract class RedisOutboxContractTests(RedisEngine engine) : ClockedOutboxContractTests
{
    private readonly string _prefix = $"test:{Guid.NewGuid():N}";

    protected override IOutbox Create()
        => new RedisOutbox(engine, Microsoft.Extensions.Options.Options.Create(new OutboxOptions
        {
            MaxAttempts = Options.MaxAttempts,
            RetryDelay = Options.RetryDelay,
            MaxRetryDelay = Options.MaxRetryDelay,
            VisibilityTimeout = Options.VisibilityTimeout,
            MaxDeadLetters = Options.MaxDeadLetters,
            KeyPrefix = _prefix,
        }), Time, Statistics);

    [Fact]
    public async Task Another_instance_recovers_what_a_crashed_instance_claimed()
    {
        var crashed = Create();
        await crashed.EnqueueAsync(new ResetEmailJob("job-x", "acct-x", "x@example.com", DateTimeOffset.UnixEpoch), default);
        Assert.NotNull(await crashed.TryClaimAsync(default));
        var survivor = (RedisOutbox)Create();
        Assert.Null(await survivor.TryClaimAsync(default));
        Time.Advance(Options.VisibilityTimeout + TimeSpan.FromSeconds(1));
        Assert.Equal(1, await survivor.RecoverExpiredClaimsAsync(default));
        var lease = await survivor.TryClaimAsync(default);
        Assert.Equal("job-x", lease!.Job.Id);
        await survivor.CompleteAsync(lease, default);
        Assert.Equal(new OutboxCounts(0, 0, 0, 0), await survivor.GetCountsAsync(default));
    }

    [Fact]
    public async Task An_unreadable_item_is_dead_lettered_not_retried_forever()
    {
        var outbox = (RedisOutbox)Create();
        await engine.Connection.GetDatabase().ListLeftPushAsync($"{{{_prefix}}}:pending", "not json");
        await outbox.EnqueueAsync(new ResetEmailJob("job-y", "acct-y", "y@example.com", DateTimeOffset.UnixEpoch), default);
        Assert.Equal("job-y", (await outbox.TryClaimAsync(default))!.Job.Id);
        Assert.Equal(1, (await outbox.GetCountsAsync(default)).Dead);
    }
}

public sealed class GarnetOutboxTests(GarnetFixture garnet) : RedisOutboxContractTests(garnet.Engine), IClassFixture<GarnetFixture>;

public sealed class RedisOutboxTests(RedisFixture redis) : RedisOutboxContractTests(redis.Engine), IClassFixture<RedisFixture>;
