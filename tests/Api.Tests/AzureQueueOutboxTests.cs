using System.Collections.Concurrent;
using Azure.Storage.Queues;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ThrottleCluster.Api.Outbox;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Api.Tests;

/// <summary>
/// The outbox on Azure Storage queues (a real Azurite): the clock-free contract, and the timed
/// parts on the service's own clock, with short visibility timeout and backoff, waited for.
/// </summary>
public sealed class AzureQueueOutboxTests(AzuriteFixture azurite) : OutboxContractTests, IClassFixture<AzuriteFixture>
{
    private static readonly TimeSpan Visibility = TimeSpan.FromSeconds(2);

    private readonly string _queue = $"t{Guid.NewGuid():N}"[..20];

    protected override IOutbox Create() => Create(Statistics);

    private AzureQueueOutbox Create(OutboxStatistics statistics, string? connectionString = null)
        => new(new QueueServiceClient(connectionString ?? azurite.Server.ConnectionString), Microsoft.Extensions.Options.Options.Create(new OutboxOptions
        {
            MaxAttempts = Options.MaxAttempts,
            RetryDelay = TimeSpan.FromMilliseconds(300),
            MaxRetryDelay = TimeSpan.FromMilliseconds(600),
            VisibilityTimeout = Visibility,
            MaxDeadLetters = Options.MaxDeadLetters,
            QueueName = _queue,
        }), TimeProvider.System, statistics);

    private async Task<OutboxLease> ClaimWithinAsync(IOutbox outbox, TimeSpan within)
    {
        OutboxLease? lease = null;
        await Eventually.HoldsAsync(async () =>
        {
            await outbox.MaintainAsync(default);
            return (lease = await outbox.TryClaimAsync(default)) is not null;
        }, "a job to claim", within);
        return lease!;
    }

    [Fact]
    public async Task Readiness_reads_the_queues_and_names_the_outbox_when_they_cannot_be_read()
    {
        static Task<HealthCheckResult> CheckAsync(IOutboxMonitor outbox)
            => new OutboxProbe(outbox).CheckHealthAsync(new HealthCheckContext { Registration = new HealthCheckRegistration("outbox", _ => null!, null, null) });

        await Outbox.EnqueueAsync(Job(1), default);
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(Monitor)).Status);

        var nowhere = azurite.Server.ConnectionString.Replace($":{azurite.Server.QueuePort}/", $":{LoopbackPort.Free()}/", StringComparison.Ordinal);
        var unreachable = await CheckAsync(Create(new OutboxStatistics(), nowhere));
        Assert.Equal(HealthStatus.Unhealthy, unreachable.Status);
        Assert.StartsWith("outbox ", unreachable.Description);
    }

    [Fact]
    public async Task A_failed_job_waits_for_its_backoff_then_comes_back_with_its_attempt_count()
    {
        await Outbox.EnqueueAsync(Job(1), default);
        var lease = await Outbox.TryClaimAsync(default);
        Assert.Equal(FailureOutcome.Retried, await Outbox.FailAsync(lease!, "451 try later", false, default));
        Assert.Equal(new OutboxCounts(0, 0, 1, 0), await Monitor.GetCountsAsync(default));
        Assert.Null(await Outbox.TryClaimAsync(default)); // invisible for its backoff
        var retry = await ClaimWithinAsync(Outbox, TimeSpan.FromSeconds(10));
        Assert.Equal((Job(1).Id, 1, "451 try later"), (retry.Job.Id, retry.Job.Attempts, retry.Job.LastError));
    }

    [Fact]
    public async Task A_job_claimed_by_an_instance_that_died_is_taken_by_another_after_the_visibility_timeout()
    {
        var crashed = Create();
        await crashed.EnqueueAsync(Job(1), default);
        await crashed.EnqueueAsync(Job(2), default);
        var lost = await crashed.TryClaimAsync(default); // the instance dies here, before sending

        var survivorStatistics = new OutboxStatistics();
        var survivor = Create(survivorStatistics);
        Assert.Equal(Job(2), (await survivor.TryClaimAsync(default))!.Job); // job 1 is still claimed
        var again = await ClaimWithinAsync(survivor, TimeSpan.FromSeconds(15));
        Assert.Equal(Job(1).Id, again.Job.Id);
        Assert.Equal(1, again.Job.Attempts);
        Assert.Contains("Outbox:VisibilityTimeout", again.Job.LastError);
        Assert.Equal(1, survivorStatistics.Recovered);
        Assert.Equal(FailureOutcome.LeaseLost, await crashed.FailAsync(lost!, "late", false, default));
        await survivor.CompleteAsync(again, default);
        Assert.Equal(1, (await survivor.GetCountsAsync(default)).Processing); // job 2's claim, not yet settled
    }

    [Fact]
    public async Task A_job_whose_dispatcher_dies_on_it_every_time_is_dead_lettered_after_the_last_attempt()
    {
        await Outbox.EnqueueAsync(Job(1), default);
        for (var claim = 1; claim <= Options.MaxAttempts; claim++)
            Assert.Equal(claim - 1, (await ClaimWithinAsync(Outbox, TimeSpan.FromSeconds(15))).Job.Attempts); // dies every time
        await Eventually.HoldsAsync(async () => (await Outbox.TryClaimAsync(default)) is null && (await Monitor.GetCountsAsync(default)).Dead == 1,
            "the job dead-lettered by the next claim", TimeSpan.FromSeconds(15));
        var dead = Assert.Single(await Monitor.GetDeadLettersAsync(10, default));
        Assert.Equal(Options.MaxAttempts, dead.Attempts);
        Assert.Equal(1, Statistics.DeadLettered);
    }

    [Fact]
    public async Task A_slow_send_that_finishes_after_its_visibility_timeout_but_before_another_claim_is_not_sent_twice()
    {
        await Outbox.EnqueueAsync(Job(1), default);
        var slow = await Outbox.TryClaimAsync(default);
        await Eventually.HoldsAsync(async () => await Outbox.MaintainAsync(default) == 1, "the claim expired", TimeSpan.FromSeconds(15));
        await Outbox.CompleteAsync(slow!, default); // it did go out after all
        Assert.Null(await Outbox.TryClaimAsync(default));
        Assert.Equal(new OutboxCounts(0, 0, 0, 0), await Monitor.GetCountsAsync(default));
    }

    [Fact]
    public async Task Concurrent_workers_on_two_instances_settle_every_job_exactly_once()
    {
        const int jobs = 60;
        var a = Create(Statistics);
        var b = Create(Statistics);
        for (var i = 0; i < jobs; i++) await a.EnqueueAsync(Job(i), default);
        var sent = new ConcurrentDictionary<string, int>();
        var failedOnce = new ConcurrentDictionary<string, bool>();
        async Task Worker(AzureQueueOutbox outbox)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (sent.Count < jobs && DateTime.UtcNow < deadline)
            {
                await outbox.MaintainAsync(default);
                if (await outbox.TryClaimAsync(default) is not { } lease)
                {
                    await Task.Delay(50);
                    continue;
                }
                if (int.Parse(lease.Job.Id[4..]) % 3 == 0 && failedOnce.TryAdd(lease.Job.Id, true))
                {
                    await outbox.FailAsync(lease, "first try fails", false, default);
                    continue;
                }
                sent.AddOrUpdate(lease.Job.Id, 1, (_, n) => n + 1);
                await outbox.CompleteAsync(lease, default);
            }
        }
        await Task.WhenAll(new[] { a, a, b, b }.Select(o => Task.Run(() => Worker(o))));
        Assert.Equal(jobs, sent.Count);
        Assert.All(sent.Values, n => Assert.Equal(1, n));
        Assert.Equal(new OutboxCounts(0, 0, 0, 0), await a.GetCountsAsync(default));
    }
}
