using Microsoft.Extensions.Options;
using ThrottleCluster.Api.Email;
using ThrottleCluster.Api.Tokens;

namespace ThrottleCluster.Api.Outbox;

/// <summary>
/// Drains the outbox: for each job, issues a fresh token (which invalidates the account's previous
/// one), composes the email and sends it. Success completes the job; a failure retries it with
/// backoff or dead-letters it; on shutdown an unfinished job goes back to the head of the queue.
/// Runs <c>Outbox:Concurrency</c> workers and one maintenance loop (due retries, expired claims,
/// the queue's sizes for /metrics).
/// </summary>
/// <remarks>
/// An attempt ends within its lease: at <see cref="AttemptShareOfLease"/> of
/// <c>Outbox:VisibilityTimeout</c> it is abandoned and retried like any failure. Past the lease the
/// maintenance loop of some Api hands the job to another worker, which would send it while this one
/// still is. The SMTP timeout bounds only the send; issuing the token is a grain call, bounded by the
/// cluster's response timeout alone.
/// </remarks>
public sealed class OutboxDispatcher(
    IOutbox outbox,
    IOutboxMonitor monitor,
    ResetTokenService tokens,
    ResetEmailComposer composer,
    IEmailSender sender,
    IOptions<OutboxOptions> options,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    public const double AttemptShareOfLease = 0.8;

    private readonly OutboxOptions _options = options.Value;

    private TimeSpan AttemptLimit => _options.VisibilityTimeout * AttemptShareOfLease;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        logger.LogInformation("Reset emails go to {Destination}", sender.Destination);
        var loops = Enumerable.Range(0, _options.Concurrency).Select(_ => WorkAsync(stoppingToken)).Append(MaintainAsync(stoppingToken));
        await Task.WhenAll(loops).ConfigureAwait(false);
    }

    private async Task WorkAsync(CancellationToken stopping)
    {
        await Task.Yield();
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var lease = await outbox.TryClaimAsync(stopping).ConfigureAwait(false);
                if (lease is null)
                {
                    await outbox.WaitForWorkAsync(_options.PollInterval, stopping).ConfigureAwait(false);
                    continue;
                }
                await ProcessAsync(lease, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The queue itself failed (engine unreachable): back off and try again.
                logger.LogWarning(ex, "Outbox unavailable; retrying in {Delay}", _options.RetryDelay);
                await Delay(_options.RetryDelay, stopping).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Sends one claimed job and settles it. Public for tests that drive the queue by hand.</summary>
    public async Task ProcessAsync(OutboxLease lease, CancellationToken stopping)
    {
        var job = lease.Job;
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        attempt.CancelAfter(AttemptLimit);
        try
        {
            var token = await tokens.IssueAsync(job.AccountId, attempt.Token).ConfigureAwait(false);
            var email = composer.Compose(job.Email, token);
            await sender.SendAsync(email, attempt.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            await Settle(() => outbox.ReleaseAsync(lease, CancellationToken.None)).ConfigureAwait(false);
            throw;
        }
        catch (Exception ex)
        {
            var permanent = ex is PermanentEmailException;
            var reason = ex is OperationCanceledException && attempt.IsCancellationRequested
                ? $"abandoned after {AttemptLimit.TotalSeconds:0.#} s, {AttemptShareOfLease:P0} of Outbox:VisibilityTimeout, so that no other worker sends it meanwhile"
                : $"{ex.GetType().Name}: {ex.Message}";
            var outcome = await outbox.FailAsync(lease, reason, permanent, stopping).ConfigureAwait(false);
            if (outcome == FailureOutcome.DeadLettered)
                logger.LogError(ex, "Reset email {JobId} dead-lettered after {Attempts} attempts", job.Id, job.Attempts + 1);
            else
                logger.LogWarning(ex, "Reset email {JobId} attempt {Attempt} failed ({Outcome})", job.Id, job.Attempts + 1, outcome);
            return;
        }
        await outbox.CompleteAsync(lease, stopping).ConfigureAwait(false);
        logger.LogInformation("Reset email {JobId} sent", job.Id);
    }

    private async Task MaintainAsync(CancellationToken stopping)
    {
        await Task.Yield();
        var period = TimeSpan.FromTicks(Math.Clamp(_options.VisibilityTimeout.Ticks / 4, TimeSpan.FromMilliseconds(100).Ticks, TimeSpan.FromSeconds(1).Ticks));
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var moved = await outbox.MaintainAsync(stopping).ConfigureAwait(false);
                if (moved > 0) logger.LogDebug("Outbox: {Moved} jobs back in the queue", moved);
                monitor.Statistics.OnCounts(await monitor.GetCountsAsync(stopping).ConfigureAwait(false));
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Outbox maintenance failed");
            }
            await Delay(period, stopping).ConfigureAwait(false);
        }
    }

    private async Task Settle(Func<Task> action)
    {
        try
        {
            await action().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not put an unfinished reset email back in the queue; it comes back after the visibility timeout");
        }
    }

    private static async Task Delay(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
